"""`ding.Ding`: the generated sync client, and the event loop it runs its calls on."""
