"""The promises of README.md and of the docs pages, and the tests that pin them.

See tests/policy/test_promises.py. `PROMISES` maps each page (its path from the
project's root: ``README.md``, ``docs/...``) to short phrases quoted from
that page (whitespace normalised), and each phrase to the tests that fail
when that promise breaks. A phrase pins the promises of its own page only.
Pages come in the order of the site's navigation, each page's phrases in
the order of the page.
"""

from __future__ import annotations

from typing import Final

# Units that report one measured run rather than promise a behaviour: the
# number changes with the machine and the run, and the script that measured
# it owns it. By page, each maps to why it is not pinned.
MEASURED: Final[dict[str, dict[str, str]]] = {
    "docs/guides/sync.md": {
        "a sequential sync call costs about what a plain `httpx.Client` call does": (
            "measured by `nox -s bench`, whose run the performance page quotes"
        ),
        "links the measurements of 16 threads sharing one client": (
            "points to the benchmark run the performance page quotes"
        ),
    },
    "docs/guides/tracing.md": {
        "has the numbers of `nox -s bench` with no OpenTelemetry": (
            "points to the benchmark run the performance page quotes"
        ),
    },
    "docs/reliability.md": {
        "One run (Python 3.12.1, 2026-11-30, commit 7349a2d": (
            "one soak run's measurements on the development machine"
        ),
        "The first round raises the process's high-water mark": (
            "explains that soak run's numbers"
        ),
    },
}

_CLIENT: Final = "tests/client/test_async_client.py::"
_CONC: Final = "tests/transport/test_shared_client.py::"
_DEAD: Final = "tests/pipeline/test_deadlines.py::"
_RETRY: Final = "tests/pipeline/test_retry.py::"
_MEM: Final = "tests/transport/test_response_size.py::"
_MATRIX: Final = "tests/transport/test_network_faults.py::"
_CLI: Final = "tests/cli/test_command.py::"
_TERMINAL: Final = "tests/cli/test_terminal.py::"
_TEL: Final = "tests/pipeline/test_telemetry.py::"
_HOOKS: Final = "tests/surface/test_webhooks.py::"
_FAKE_INT: Final = "tests/testing/test_integration.py::"
_FAKE_STATE: Final = "tests/testing/test_state.py::"
_FAKE_HOOKS: Final = "tests/testing/test_webhooks.py::"
_FAKE_SERVER: Final = "tests/testing/test_server.py::"
_README: Final = "tests/policy/test_doc_examples.py::"
_IDLE: Final = "tests/transport/test_idle_connections.py::"
_REUSE: Final = "tests/transport/test_reuse_rules.py::"
_PORTAL: Final = "tests/sync/test_portal.py::"
_SYNC: Final = "tests/sync/test_sync_client.py::"
_ERRORS: Final = "tests/pipeline/test_error_mapping.py::"
_GREEN: Final = "tests/runtimes/test_under_green_threads.py::"
_TRANSPORT: Final = "tests/transport/test_own_pool.py::"
_STRUCTURE: Final = "tests/policy/test_layers.py::"
_GENERATE: Final = "tests/sync/test_generated_code.py::"
_PHONE: Final = "tests/client/test_phone_numbers.py::"
_NO_PHONE: Final = "tests/client/test_without_phonenumbers.py::"
_LOOKUP: Final = "tests/testing/test_lookup.py::"

# Pinned by more than one page.
_RETRIES_ARE_SAFE: Final = (
    f"{_RETRY}test_connect_error_is_retried_for_posts",
    f"{_RETRY}test_retry_after_is_honoured_for_posts",
    f"{_RETRY}test_retry_after_too_long_is_not_waited",
    f"{_RETRY}test_a_retry_after_over_60_seconds_is_never_waited",
    f"{_RETRY}test_get_is_retried_on_transient_failures",
    f"{_RETRY}test_post_that_may_have_arrived_is_not_retried",
)
_DEFAULT_URL: Final = (
    f"{_CLIENT}test_empty_api_key_is_accepted",
    f"{_CLIENT}test_server_idx_and_url_params",
)
_SHARED_POOL: Final = (
    f"{_CLIENT}test_with_options_shares_the_pool",
    f"{_CLIENT}test_closing_a_copy_leaves_the_original_working",
    f"{_CLIENT}test_closing_the_original_closes_the_pool_for_every_copy",
    f"{_SYNC}test_closing_a_sync_copy_leaves_the_original_working",
)
_UNCLOSED: Final = (
    "tests/transport/test_unclosed_clients.py::test_unclosed_client_is_quiet",
    "tests/transport/test_unclosed_clients.py::test_forked_child_leaves_the_parents_connections_alone",
)
_KEY_HIDDEN: Final = (
    f"{_ERRORS}test_the_key_never_appears_in_errors",
    f"{_CLIENT}test_repr_hides_the_key",
    "tests/pipeline/test_hostile_input.py::test_the_key_is_redacted_on_every_reachable_request",
    "tests/pipeline/test_log_lines.py::test_ding_log_prints_one_masked_line_per_call",
)
_ON_EVERY_TRANSPORT: Final = (
    f"{_TRANSPORT}test_every_test_of_connect_runs_on_the_five_transports",
    f"{_ERRORS}test_any_answer_on_each_transport",
    f"{_CONC}test_a_full_pool_raises_the_same_pool_timeout_on_every_transport",
)
_FAKE_ANSWERS_EVERY_OPERATION: Final = (
    "tests/testing/test_schema.py::test_create_check_and_status_with_every_field",
    f"{_FAKE_INT}test_whole_flow_async",
    f"{_FAKE_INT}test_whole_flow_sync",
)
_REDIRECTS: Final = (
    "tests/pipeline/test_redirects.py::test_a_redirect_is_an_error_naming_the_location",
    "tests/pipeline/test_redirects.py::test_credentials_in_the_location_are_not_shown",
    "tests/pipeline/test_redirects.py::test_an_injected_client_that_follows_redirects_does_not",
)

PROMISES: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "README.md": {
        "no span or metric holds the key, a phone number or a code": (
            f"{_TEL}test_no_span_or_metric_holds_the_key_the_number_the_code_or_a_body",
            "tests/client/test_phone_numbers.py::test_normalize_phone_number",
            "tests/client/test_phone_numbers.py::test_async_operations_send_e164",
            "tests/client/test_phone_numbers.py::test_async_operations_send_nothing_for_an_impossible_number",
        ),
        "each hostile case the SDK was fixed for is pinned by a test": (
            f"{_MEM}test_a_compression_bomb_stops_at_the_bound",
            f"{_MATRIX}test_sync_a_compression_bomb_stops_at_the_bound",
            f"{_MATRIX}test_the_reliability_page_names_tests_that_exist",
            f"{_MATRIX}test_async_client_under_each_fault",
            f"{_MATRIX}test_sync_client_under_each_fault",
        ),
        "`ding.testing` answers every operation of the v1 API from memory": (
            *_FAKE_ANSWERS_EVERY_OPERATION,
            "tests/testing/test_plugin.py::test_fixtures_in_a_throwaway_project",
        ),
        "A POST that may have reached Ding is not retried": (
            f"{_RETRY}test_post_that_may_have_arrived_is_not_retried",
            f"{_TRANSPORT}test_a_post_that_may_have_arrived_is_not_retried",
            f"{_DEAD}test_each_attempt_is_bounded_by_15_s_by_default",
            f"{_DEAD}test_the_total_deadline_cuts_an_attempt_in_flight",
            f"{_MEM}test_a_long_success_raises_without_reading_the_rest",
            *_KEY_HIDDEN,
        ),
    },
    "docs/index.md": {
        "that answers every operation from memory": (
            f"{_FAKE_INT}test_whole_flow_async",
            f"{_README}test_block_runs_against_the_fake",
        ),
        "Every Python example on this site is run, and type-checked": (
            f"{_README}test_block_runs_against_the_fake",
            f"{_README}test_test_blocks_pass_under_pytest",
            f"{_README}test_blocks_type_check_under_mypy",
            f"{_README}test_blocks_type_check_under_pyright",
        ),
    },
    "docs/getting-started.md": {
        "each lookup fails slowly": (
            f"{_TRANSPORT}test_sniffio_is_a_dependency_so_httpcore_never_searches_for_it",
        ),
        "For trio, install `trio` beside it; nothing else changes.": (
            f"{_TRANSPORT}test_the_pool_chooses_the_transport_of_the_backend",
            f"{_TRANSPORT}test_every_test_of_connect_runs_on_the_five_transports",
        ),
        "The client's default URL is still Ding's own": _DEFAULT_URL,
    },
    "docs/architecture.md": {
        "A module imports only modules of its own role and of the roles below it": (
            f"{_STRUCTURE}test_every_module_has_a_role",
            f"{_STRUCTURE}test_each_role_imports_only_the_roles_below_it",
            f"{_STRUCTURE}test_no_module_imports_itself_back_at_run_time",
        ),
        "enforces both, deferred imports included": (
            f"{_STRUCTURE}test_an_upward_import_is_reported",
            f"{_STRUCTURE}test_a_cycle_is_reported_and_a_type_only_one_is_not",
        ),
        "so exists once, in the async code": (
            f"{_GENERATE}test_committed_file_is_fresh",
            f"{_GENERATE}test_generated_bodies_only_forward",
            f"{_SYNC}test_errors_come_through_unchanged",
        ),
    },
    "docs/guides/async.md": {
        "Every operation is a coroutine; the same code runs on asyncio and on trio.": (
            f"{_TRANSPORT}test_every_test_of_connect_runs_on_the_five_transports",
            f"{_FAKE_INT}test_whole_flow_async",
        ),
        "Up to 100 calls use the SDK's own pool at once": (
            f"{_TRANSPORT}test_the_own_pool_opens_at_most_100_connections",
            f"{_CONC}test_the_queue_serves_in_order_and_skips_who_left",
            f"{_CONC}test_the_pool_timeout_bounds_the_wait_in_line",
            f"{_CONC}test_a_thousand_concurrent_calls_on_one_client_all_complete",
            f"{_CONC}test_an_injected_clients_pool_has_no_queue_in_front",
        ),
        "returns a client with other settings that borrows the same pool": (
            _SHARED_POOL
        ),
        "Each event loop gets connections of its own.": (
            "tests/transport/test_many_event_loops.py::test_one_client_serves_many_loops_at_once",
            "tests/transport/test_many_event_loops.py::test_closing_on_one_loop_leaves_the_calls_of_another_to_finish",
            "tests/pipeline/test_hostile_input.py::test_owned_client_survives_two_event_loops",
            f"{_TRANSPORT}test_the_pool_keys_its_client_on_the_running_loop",
        ),
        "A client never closed goes quietly": _UNCLOSED,
        "Errors, timeouts, retries and results are the same on every transport": (
            _ON_EVERY_TRANSPORT
        ),
        "set `total_timeout` on a copy, or cancel it from outside": (
            f"{_DEAD}test_total_timeout_per_call_through_with_options",
            f"{_DEAD}test_a_cancel_from_outside_is_not_taken_for_the_bound",
        ),
        "Nothing in your code changes; run it with `trio.run`": (
            f"{_TRANSPORT}test_every_test_of_connect_runs_on_the_five_transports",
            f"{_TRANSPORT}test_the_pool_chooses_the_transport_of_the_backend",
        ),
        "where the sync client blocks only its worker thread": (
            f"{_SYNC}test_thirty_two_threads_share_one_client",
            f"{_PORTAL}test_every_call_of_every_thread_runs_on_one_daemon_loop_thread",
        ),
    },
    "docs/guides/sync.md": {
        "so retries, timeouts, errors and decoding behave exactly alike": (
            f"{_GENERATE}test_committed_file_is_fresh",
            f"{_GENERATE}test_same_surface_same_signatures",
            f"{_GENERATE}test_generated_bodies_only_forward",
            f"{_SYNC}test_errors_come_through_unchanged",
        ),
        "**Each call is handed to that thread,**": (
            f"{_PORTAL}test_every_call_of_every_thread_runs_on_one_daemon_loop_thread",
            f"{_PORTAL}test_concurrent_first_calls_start_exactly_one_loop",
            f"{_PORTAL}test_import_starts_nothing",
            f"{_PORTAL}test_exceptions_reach_the_caller_unchanged",
        ),
        "Calls from any number of threads run on the one loop side by side": (
            f"{_SYNC}test_thirty_two_threads_share_one_client",
            f"{_PORTAL}test_many_threads_calling_at_once_get_their_own_results",
            f"{_SYNC}test_closing_a_sync_copy_leaves_the_original_working",
            f"{_CLIENT}test_with_options_shares_the_pool",
        ),
        "Create it once (at import time is fine) and call it from every thread": (
            f"{_SYNC}test_thirty_two_threads_share_one_client",
            f"{_PORTAL}test_import_starts_nothing",
        ),
        "A forked child has no loop thread": (
            f"{_PORTAL}test_fork_child_gets_a_fresh_loop_and_parent_keeps_its_own",
            f"{_SYNC}test_fork_child_uses_fresh_connections",
            "tests/runtimes/test_across_multiprocessing.py::test_a_ding_used_before_a_fork_works_in_forked_children_and_after",
        ),
        "It never touches the parent's loop or connections": (
            f"{_PORTAL}test_fork_child_gets_a_fresh_loop_and_parent_keeps_its_own",
            "tests/transport/test_unclosed_clients.py::test_forked_child_leaves_the_parents_connections_alone",
        ),
        "A loop run by a greenlet would share its OS thread": (
            f"{_GREEN}test_the_hub_never_stalls_over_250_ms_while_the_calls_wait",
            f"{_GREEN}test_the_greenlets_calls_overlap",
        ),
        "which parks only that greenlet": (
            f"{_GREEN}test_50_greenlets_sharing_one_ding_all_sign_up",
            f"{_GREEN}test_the_hub_never_stalls_over_250_ms_while_the_calls_wait",
            f"{_GREEN}test_the_greenlets_calls_overlap",
        ),
        "Concurrent greenlets sharing one client all make progress": (
            f"{_GREEN}test_50_greenlets_sharing_one_ding_all_sign_up",
            f"{_GREEN}test_50_greenlets_sign_up_through_a_ding_made_before_the_patching",
            f"{_GREEN}test_the_greenlets_calls_overlap",
        ),
        "The SDK installs no signal handler": (
            f"{_PORTAL}test_calls_leave_every_signal_disposition_as_they_found_it",
        ),
        "a Ctrl-C during a call raises `KeyboardInterrupt` at once": (
            f"{_PORTAL}test_ctrl_c_cancels_the_call_in_flight",
            f"{_SYNC}test_ctrl_c_in_a_real_process_stops_the_send",
        ),
        "the call is cancelled on the loop": (
            f"{_SYNC}test_interrupt_cancels_the_request",
            f"{_PORTAL}test_an_interrupted_caller_waits_for_the_cancellation_a_bounded_time",
            f"{_PORTAL}test_a_second_ctrl_c_raises_at_once_without_waiting_for_the_cancellation",
        ),
        "never delays the interpreter's exit by more than about a second": (
            f"{_PORTAL}test_exit_with_a_call_in_flight_is_delayed_about_a_second_at_most",
            f"{_PORTAL}test_exit_without_shutdown_does_not_hang",
            f"{_SYNC}test_unclosed_client_does_not_hang_exit",
        ),
        "A client that is never closed goes quietly": (
            *_UNCLOSED,
            f"{_SYNC}test_unclosed_client_does_not_hang_exit",
        ),
        "Closing a copy made by `with_options` ends the copy only": (
            f"{_SYNC}test_closing_a_sync_copy_leaves_the_original_working",
            f"{_CLIENT}test_closing_the_original_closes_the_pool_for_every_copy",
        ),
    },
    "docs/guides/testing.md": {
        "It answers every operation of the v1 API as the contract describes": (
            _FAKE_ANSWERS_EVERY_OPERATION
        ),
        "return an `AsyncDing` and a `Ding` wired to the fake": (
            f"{_FAKE_INT}test_whole_flow_async",
            f"{_FAKE_INT}test_whole_flow_sync",
        ),
        "`fake.clock` is a `MovableClock` whatever the fake was given": (
            "tests/testing/test_values.py::test_a_manual_clock_is_the_fakes_clock_as_it_is",
            "tests/testing/test_values.py::test_a_plain_callable_clock_is_wrapped_so_it_can_be_moved",
            "tests/testing/test_values.py::test_the_system_clock_can_be_moved_too",
        ),
        "hands each request to the fake in the same process, no socket": (
            f"{_FAKE_INT}test_each_fault_kind",
            f"{_FAKE_INT}test_delay_fault_and_timeout",
        ),
        "keep that client and change only its transport": (
            f"{_README}test_block_runs_against_the_fake",
        ),
        "The fake reads only the URL's path": (
            f"{_FAKE_INT}test_the_fake_reads_only_the_path_so_the_default_url_reaches_it",
        ),
        "The server over TCP logs one line per request": (
            "tests/testing/test_cli.py::test_each_request_is_logged_to_stderr",
            f"{_FAKE_INT}test_the_embedded_server_logs_each_request",
            f"{_FAKE_SERVER}test_the_request_log_cannot_be_forged_with_a_line_break",
        ),
        "give the fake's server an idle timeout": (
            f"{_FAKE_SERVER}test_an_idle_connection_is_closed_after_the_timeout",
            f"{_FAKE_SERVER}test_a_request_that_came_too_late_to_be_read_is_never_handled",
            f"{_FAKE_SERVER}test_keep_alive_is_announced_only_when_asked",
            f"{_FAKE_SERVER}test_fake_serve_closes_idle_connections_and_counts_only_handled_requests",
            "tests/testing/test_cli.py::test_idle_timeout_options",
        ),
        "Installed with the package, no configuration needed": (
            "tests/testing/test_plugin.py::test_plugin_is_registered_as_an_entry_point",
            "tests/testing/test_plugin.py::test_fixtures_in_a_throwaway_project",
        ),
        "open mode the fake takes any key and any well-formed customer UUID": (
            f"{_FAKE_STATE}test_open_mode_accepts_any_key",
            "tests/testing/test_validation.py::test_create_rejects_malformed_customer",
        ),
        # The fault table's rows: the client's view and whether the operation
        # happened, for each fault.
        "| `Fault.server_error(status_code)` |": (f"{_FAKE_INT}test_each_fault_kind",),
        "| `Fault.rate_limited(retry_after)` |": (f"{_FAKE_INT}test_each_fault_kind",),
        "| `Fault.unavailable(retry_after)` |": (f"{_FAKE_INT}test_each_fault_kind",),
        "| `Fault.drop_before_response()` |": (f"{_FAKE_INT}test_each_fault_kind",),
        "| `Fault.html_error(status_code)` |": (f"{_FAKE_INT}test_each_fault_kind",),
        "| `Fault.empty_body()` |": (f"{_FAKE_INT}test_each_fault_kind",),
        "fail the same way every time, without a fault to schedule": (
            f"{_FAKE_INT}test_reserved_numbers",
            f"{_FAKE_STATE}test_reserved_error_numbers",
        ),
    },
    "docs/guides/retries-and-timeouts.md": {
        "a failure that is safe to repeat is repeated, twice by default": (
            f"{_RETRY}test_a_failure_safe_to_repeat_is_retried_twice_by_default",
            f"{_DEAD}test_the_defaults_are_documented_numbers",
        ),
        "The rules below apply alike to `AsyncDing` and `Ding`, on every transport": (
            f"{_MATRIX}test_async_client_under_each_fault",
            f"{_MATRIX}test_sync_client_under_each_fault",
            f"{_TRANSPORT}test_every_test_of_connect_runs_on_the_five_transports",
        ),
        "is never sent again on a guess": _RETRIES_ARE_SAFE,
        "- a connection that was never established is retried;": (
            f"{_RETRY}test_connect_error_is_retried_for_posts",
            f"{_TRANSPORT}test_a_refused_connection_is_retried_even_for_a_post",
        ),
        "- a 429 or 503 with `Retry-After` up to 60 s is retried after that delay": (
            f"{_RETRY}test_retry_after_is_honoured_for_posts",
            f"{_RETRY}test_retry_after_too_long_is_not_waited",
            f"{_RETRY}test_a_retry_after_over_60_seconds_is_never_waited",
        ),
        "a pool timeout is never retried: nothing was sent": (
            f"{_RETRY}test_a_pool_timeout_is_never_retried",
        ),
        "nothing is sent twice": (
            f"{_RETRY}test_post_that_may_have_arrived_is_not_retried",
            f"{_TRANSPORT}test_a_post_that_may_have_arrived_is_not_retried",
            f"{_MATRIX}test_async_client_under_each_fault",
            f"{_MATRIX}test_a_reused_connection_sends_again_only_what_it_never_answered",
        ),
        "| no connection established | retried | retried |": (
            f"{_RETRY}test_connect_error_is_retried_for_posts",
            f"{_TRANSPORT}test_a_refused_connection_is_retried_even_for_a_post",
        ),
        "| 429 or 503 with `Retry-After` up to 60 s |": (
            f"{_RETRY}test_retry_after_is_honoured_for_posts",
        ),
        "| 429 or 503 with `Retry-After` over 60 s | not retried | not retried |": (
            f"{_RETRY}test_retry_after_too_long_is_not_waited",
            f"{_RETRY}test_a_retry_after_over_60_seconds_is_never_waited",
        ),
        "Servers close keep-alive connections that stay idle too long": (
            f"{_IDLE}test_no_call_fails_and_each_is_handled_once",
            f"{_TRANSPORT}test_the_own_pool_opens_at_most_100_connections",
        ),
        "keeps an idle connection at most 4 s, a second under the common 5 s": (
            f"{_TRANSPORT}test_the_own_pool_opens_at_most_100_connections",
            f"{_REUSE}test_a_connection_is_not_reused_past_its_deadline",
            f"{_IDLE}test_no_call_fails_and_each_is_handled_once",
        ),
        "for no longer than N less a quarter of N (at most 1 s less)": (
            f"{_REUSE}test_a_keep_alive_timeout_is_kept_with_a_margin",
            f"{_REUSE}test_a_connection_is_not_reused_past_its_deadline",
        ),
        "sends a request once more, at once and on a new connection": (
            f"{_IDLE}test_no_call_fails_and_each_is_handled_once",
            f"{_REUSE}test_only_a_reused_connection_lost_before_any_answer_is_stale",
            f"{_REUSE}test_a_request_is_sent_again_only_once_and_on_a_new_connection",
            f"{_MATRIX}test_async_client_under_each_fault",
            f"{_MATRIX}test_sync_client_under_each_fault",
            "tests/pipeline/test_log_lines.py::test_a_request_sent_again_on_a_new_connection_says_so",
        ),
        "is never a reason to send a POST again": (
            f"{_REUSE}test_only_a_reused_connection_lost_before_any_answer_is_stale",
            f"{_MATRIX}test_a_reused_connection_sends_again_only_what_it_never_answered",
        ),
        "the SDK sees only what httpcore reports of a request": (
            # injected-httpx-reused: a GET sent again, a POST not; in-process
            # (not httpcore): nothing.
            f"{_MATRIX}test_async_client_under_each_fault",
            f"{_MATRIX}test_sync_client_under_each_fault",
            f"{_REUSE}test_what_httpcore_reports_of_an_injected_clients_connection",
        ),
        "`python scripts/idle_connections.py` spaces 1,000 calls per client": (
            f"{_IDLE}test_no_call_fails_and_each_is_handled_once",
        ),
        "waits 0.5 s, doubling up to 8 s, minus up to 25 % jitter": (
            f"{_RETRY}test_backoff_grows_caps_and_jitters",
            f"{_RETRY}test_backoff_subtracts_up_to_25_percent_of_random_jitter",
            f"{_RETRY}test_total_elapsed_bound",
        ),
        "`max_retries` (default 2) bounds the number of retries": (
            f"{_RETRY}test_a_failure_safe_to_repeat_is_retried_twice_by_default",
            f"{_RETRY}test_max_retries_zero_disables",
            f"{_RETRY}test_connect_errors_give_up_after_max_retries",
        ),
        "The seed SDK's `retry_config=ding.RetryConfig(...)` is honoured": (
            f"{_RETRY}test_seed_retry_config_translation",
            f"{_RETRY}test_the_seed_backoff_sets_every_wait",
            f"{_RETRY}test_retry_connection_errors_false",
        ),
        "a status read that fails once is read again": (
            f"{_README}test_block_runs_against_the_fake",
            f"{_RETRY}test_get_is_retried_on_transient_failures",
        ),
        "| `timeout` | 5 s to connect, 15 s per read or write": (
            f"{_DEAD}test_the_defaults_are_documented_numbers",
            f"{_DEAD}test_each_attempt_is_bounded_by_15_s_by_default",
        ),
        "| `total_timeout` | 60 s; `None` for no bound |": (
            f"{_DEAD}test_the_defaults_are_documented_numbers",
            f"{_DEAD}test_total_timeout_must_be_positive_seconds_or_none",
            f"{_DEAD}test_no_retry_is_made_that_would_end_past_the_deadline",
        ),
        "with an injected `httpx.AsyncClient` and no `timeout`, that client's own": (
            f"{_CLIENT}test_injected_client_settings_respected_and_not_closed",
            f"{_CLIENT}test_per_call_timeout_overrides",
        ),
        "httpx's own timeouts bound each socket operation": (
            f"{_DEAD}test_a_trickling_answer_cannot_stretch_an_attempt",
        ),
        "An attempt cut by that bound counts as a read timeout": (
            f"{_DEAD}test_a_get_retries_each_cut_attempt_within_the_total",
            f"{_DEAD}test_a_trickling_answer_cannot_stretch_an_attempt",
            f"{_DEAD}test_a_cut_attempt_is_a_read_timeout_saying_how_long_it_was_allowed",
        ),
        "Past `total_timeout` the call raises `ding.APITimeoutError`": (
            f"{_DEAD}test_the_total_deadline_cuts_an_attempt_in_flight",
            f"{_DEAD}test_no_retry_is_made_that_would_end_past_the_deadline",
            f"{_DEAD}test_the_total_timeout_error_names_the_call_and_the_bound",
        ),
        "is the longest a call waits for its turn at the pool": (
            f"{_CONC}test_the_pool_timeout_bounds_the_wait_in_line",
            f"{_DEAD}test_the_defaults_are_documented_numbers",
            f"{_TRANSPORT}test_the_own_pool_opens_at_most_100_connections",
        ),
    },
    "docs/guides/errors.md": {
        "a lookup's phone number masked to its last two digits": (
            "tests/pipeline/test_log_lines.py::test_an_error_message_masks_the_lookups_number",
            "tests/pipeline/test_log_lines.py::test_request_line",
        ),
        "Everything the SDK raises derives from `ding.DingError`": (
            f"{_ERRORS}test_any_answer_is_an_envelope_or_a_ding_error",
            f"{_ERRORS}test_any_answer_on_each_transport",
            "tests/surface/test_public_names.py::test_every_error_derives_from_ding_error",
            "tests/pipeline/test_hostile_input.py::test_raw_transport_failures_are_connection_errors",
        ),
        "No message, `repr` or log line holds the API key.": _KEY_HIDDEN,
        "Every class is importable from `ding` and from `ding.models.errors`.": (
            "tests/schema/test_models.py::test_errors_exports_code_and_every_exception",
            "tests/surface/test_public_names.py::test_all_is_sorted_and_importable",
        ),
        "The tree has no trap": (
            "tests/foundation/test_error_tree.py::test_the_tree_has_no_trap",
            "tests/foundation/test_error_tree.py::test_every_4xx_is_a_client_error",
            f"{_ERRORS}test_403_forbidden_is_an_sdk_error_in_seed_form",
        ),
        "the call could not be made as asked, and nothing went out": (
            "tests/pipeline/test_hostile_input.py::test_bad_arguments_are_usage_errors",
            "tests/schema/test_argument_checks.py::test_a_wrong_type_is_refused_before_sending",
            f"{_CLIENT}test_closed_client_refuses_calls",
        ),
        "No API key given or found": (
            f"{_CLIENT}test_missing_api_key_is_a_usage_error",
            f"{_CLIENT}test_request_and_keywords_together_is_a_usage_error",
            f"{_CLIENT}test_missing_required_field_is_a_usage_error",
            "tests/schema/test_argument_checks.py::test_a_wrong_type_is_refused_before_sending",
            f"{_CLIENT}test_api_key_that_cannot_be_a_header_is_refused_without_echo",
            "tests/config/test_server_url.py::test_plain_http_off_loopback_is_refused",
            "tests/config/test_server_url.py::test_credentials_in_the_url_are_refused_without_echo",
            "tests/config/test_server_url.py::test_a_query_is_refused_because_it_would_swallow_the_path",
            "tests/config/test_server_url.py::test_a_fragment_is_refused",
            f"{_CLIENT}test_closed_client_refuses_calls",
        ),
        "**`InvalidPhoneNumberError`**, a `UsageError`": (
            f"{_PHONE}test_a_number_that_cannot_exist_is_refused_with_its_reason",
            f"{_PHONE}test_async_operations_send_nothing_for_an_impossible_number",
            f"{_PHONE}test_sync_operations_send_nothing_for_an_impossible_number",
        ),
        "no usable HTTP answer": (
            f"{_ERRORS}test_connection_error",
            f"{_ERRORS}test_dropped_connection",
            f"{_ERRORS}test_every_connection_error_has_a_detail",
        ),
        "a deadline passed: a connect, read or write timeout": (
            f"{_ERRORS}test_timeouts",
            f"{_DEAD}test_a_cut_attempt_is_a_read_timeout_saying_how_long_it_was_allowed",
            f"{_DEAD}test_the_total_timeout_error_names_the_call_and_the_bound",
            f"{_CONC}test_the_pool_timeout_bounds_the_wait_in_line",
        ),
        "says whether the key was empty and where it came from": (
            f"{_ERRORS}test_a_refused_key_says_where_it_came_from",
        ),
        "The SDK never follows a redirect, whatever client you inject": _REDIRECTS,
        "An enum value or a field newer than the SDK is *not* malformed": (
            "tests/schema/test_converter.py::test_unknown_enum_value_kept_as_str",
            f"{_CLIENT}test_unknown_enum_values_and_fields_still_populate",
            f"{_MEM}test_a_long_success_raises_without_reading_the_rest",
            f"{_MEM}test_a_compression_bomb_stops_at_the_bound",
            "tests/schema/test_accessors.py::test_a_missing_uuid_names_the_field_and_the_status",
        ),
        "Decoding never raises it: the optional body fields are `None`.": (
            "tests/schema/test_converter.py::test_nulls_decode_to_none",
            "tests/schema/test_models.py::test_response_fields_are_optional",
        ),
        "Every `SDKError` keeps the seed SDK's `str()`": (
            f"{_ERRORS}test_403_forbidden_is_an_sdk_error_in_seed_form",
            f"{_ERRORS}test_an_sdk_error_has_the_seed_sdks_args",
            f"{_ERRORS}test_an_error_shows_at_most_1000_characters_of_the_body",
        ),
        "picks the same branch for every answer as it did there": (
            "tests/foundation/test_error_tree.py::test_seed_except_pattern_takes_the_same_branch",
            "tests/foundation/test_error_tree.py::test_seed_except_pattern_takes_the_same_branch_sync",
        ),
    },
    "docs/phone-numbers.md": {
        "Ding's API takes phone numbers in E.164": (
            f"{_PHONE}test_normalize_phone_number",
            "tests/testing/test_validation.py::test_create_rejects_non_e164_numbers",
        ),
        "Spaces, dashes, dots and parentheses go": (
            f"{_PHONE}test_normalize_phone_number",
        ),
        "every phone number an operation takes is sent in E.164": (
            f"{_PHONE}test_async_operations_send_e164",
            f"{_PHONE}test_sync_operations_send_e164",
            f"{_PHONE}test_the_callers_request_object_is_left_as_it_is",
        ),
        "| `too_long` | has too many, or more than the 15 digits of E.164": (
            f"{_PHONE}test_a_number_that_cannot_exist_is_refused_with_its_reason",
        ),
        "| `no_country_code` | is national, and the client has no `default_region`": (
            f"{_PHONE}test_a_number_that_cannot_exist_is_refused_with_its_reason",
            f"{_PHONE}test_async_operations_send_nothing_for_an_impossible_number",
            f"{_PHONE}test_sync_operations_send_nothing_for_an_impossible_number",
        ),
        "The message says why in words and never holds the number": (
            f"{_PHONE}test_a_number_that_cannot_exist_is_refused_with_its_reason",
        ),
        "Only what no numbering plan allows is refused": (
            f"{_PHONE}test_normalize_phone_number",
            f"{_PHONE}test_a_number_that_cannot_exist_is_refused_with_its_reason",
        ),
        "Numbers are sent as given, as before": (
            f"{_NO_PHONE}test_numbers_are_sent_as_given_and_the_fake_still_answers",
        ),
        "`import ding` never imports the library": (
            "tests/surface/test_import_cost.py::test_import_ding_leaves_the_sync_client_and_extras_alone",
            "tests/surface/test_import_cost.py::test_phonenumbers_loads_on_the_first_number_only",
            "tests/transport/test_first_call.py::test_the_first_call_imports_its_transport_off_the_loop",
            f"{_NO_PHONE}test_the_helper_and_default_region_say_to_install_the_extra",
        ),
        "invents nothing without it": (
            f"{_NO_PHONE}test_numbers_are_sent_as_given_and_the_fake_still_answers",
            f"{_LOOKUP}test_lookup_agrees_with_the_numbering_plans",
        ),
    },
    "docs/guides/migration.md": {
        "Ding's official Python SDK went through two families of generated code": (
            "tests/schema/test_models.py::test_seed_import_paths",
            "tests/schema/test_models.py::test_operations_official_aliases",
            "tests/schema/test_models.py::test_components_official_names",
        ),
        "5 s to connect, 15 s per read, 60 s per call": (
            f"{_DEAD}test_the_defaults_are_documented_numbers",
            f"{_RETRY}test_a_failure_safe_to_repeat_is_retried_twice_by_default",
            f"{_RETRY}test_seed_retry_config_translation",
            f"{_RETRY}test_max_retries_zero_disables",
        ),
        "the seed SDK's `POST /lookup` no longer exists": (
            f"{_CLIENT}test_post_lookup_seed_style",
        ),
        "frozen attrs classes, built by keyword only": (
            "tests/schema/test_models.py::test_every_model_is_frozen_kw_only_and_documented",
        ),
        "with the customer UUID given once": (
            f"{_README}test_block_runs_against_the_fake",
        ),
        "without `server_url` it goes to the default URL": (
            f"{_CLIENT}test_empty_api_key_is_accepted",
        ),
        "What differs from 3.x: `api_key` is a string": (
            f"{_CLIENT}test_wrong_client_type_is_a_usage_error_naming_both_types",
            "tests/schema/test_models.py::test_every_model_is_frozen_kw_only_and_documented",
            "tests/schema/test_converter.py::test_unknown_enum_value_kept_as_str",
            f"{_DEAD}test_the_defaults_are_documented_numbers",
        ),
        "are sent in E.164, and one that cannot exist": (
            "tests/surface/test_seed_examples.py::test_with_phonenumbers_the_documents_number_is_refused_before_sending",
            "tests/surface/test_seed_examples.py::test_sync_example_runs_as_written",
            f"{_NO_PHONE}test_numbers_are_sent_as_given_and_the_fake_still_answers",
        ),
    },
    "docs/guides/webhooks.md": {
        "`id` (the same on every re-send of the event)": (
            f"{_HOOKS}test_the_documented_event_parses",
            f"{_FAKE_HOOKS}test_events_are_resent_until_acknowledged_with_the_same_id",
        ),
        "the fake follows the same envelope for the other two": (
            f"{_HOOKS}test_docs_fake_md_describes_every_event_the_fake_sends",
            f"{_FAKE_HOOKS}test_events_are_delivered_with_the_documented_shape",
        ),
        "for up to two weeks": (
            f"{_HOOKS}test_the_default_ttl_covers_dings_two_weeks_of_resends",
            f"{_HOOKS}test_an_event_gets_through_once",
        ),
        "**v1 signs nothing.**": (
            f"{_HOOKS}test_callback_url_adds_the_token_and_token_of_reads_it_back",
            f"{_HOOKS}test_verify_token_accepts_only_the_exact_secret",
        ),
        "an answer that takes too long counts as no answer": (
            f"{_FAKE_HOOKS}test_events_are_resent_until_acknowledged_with_the_same_id",
        ),
        "Unknown fields and unknown enum values are kept": (
            f"{_HOOKS}test_unknown_fields_and_values_are_kept",
            f"{_HOOKS}test_an_unknown_kind_is_kept_raw",
        ),
        "whose message names the field and quotes no value": (
            f"{_HOOKS}test_a_body_that_is_not_an_event_raises_webhook_error",
            f"{_HOOKS}test_any_json_gives_an_event_or_a_webhook_error",
        ),
        "put a secret of your own in the URL you give Ding": (
            f"{_HOOKS}test_callback_url_adds_the_token_and_token_of_reads_it_back",
            f"{_HOOKS}test_verify_token_accepts_only_the_exact_secret",
        ),
        "`Deduplicator.first_time(event)` is True once per event": (
            f"{_HOOKS}test_an_event_gets_through_once",
            f"{_HOOKS}test_events_without_an_id_are_told_apart_by_content",
            f"{_HOOKS}test_a_shared_store_plugs_in",
        ),
        "Keys are kept 15 days, longer than Ding re-sends": (
            f"{_HOOKS}test_the_default_ttl_covers_dings_two_weeks_of_resends",
            f"{_HOOKS}test_keys_expire_after_the_ttl",
        ),
        "bounded (100,000 keys, the oldest dropped first), thread-safe": (
            f"{_HOOKS}test_the_in_memory_store_is_bounded_dropping_the_oldest",
            f"{_HOOKS}test_the_in_memory_store_is_thread_safe",
        ),
        "The fake delivers exactly these events.": (
            f"{_HOOKS}test_every_event_the_fake_sends_parses_to_its_type",
            f"{_FAKE_HOOKS}test_events_are_delivered_with_the_documented_shape",
        ),
    },
    "docs/operations.md": {
        "Every operation takes a request object (or a dict of its fields)": (
            f"{_CLIENT}test_post_authentication_seed_request",
            f"{_CLIENT}test_request_as_mapping",
            f"{_CLIENT}test_create_authentication_keywords",
            f"{_CLIENT}test_request_and_keywords_together_is_a_usage_error",
        ),
        "`customer_uuid` defaults to the client's.": (
            f"{_CLIENT}test_create_authentication_keywords",
        ),
        "Every result also carries `status_code`, `content_type` and `raw_response`": (
            f"{_CLIENT}test_create_authentication_keywords",
        ),
        "Every field of a decoded body is Optional": (
            "tests/schema/test_converter.py::test_empty_object_decodes_to_defaults",
            "tests/schema/test_converter.py::test_nulls_decode_to_none",
            "tests/schema/test_models.py::test_response_fields_are_optional",
        ),
        "which type checkers need no `assert` for": (
            "tests/schema/test_accessors.py::test_a_normal_flow_reads_typed_values",
            f"{_README}test_blocks_type_check_under_mypy",
            f"{_README}test_blocks_type_check_under_pyright",
        ),
        "naming the missing field and, when the answer had one, its status": (
            "tests/schema/test_accessors.py::test_a_missing_uuid_names_the_field_and_the_status",
            "tests/schema/test_accessors.py::test_a_missing_status_is_named",
        ),
        "Responses are read forward-compatibly": (
            "tests/schema/test_converter.py::test_unknown_enum_value_kept_as_str",
            "tests/schema/test_converter.py::test_unknown_keys_ignored",
            "tests/schema/test_converter.py::test_timestamp_forms",
            "tests/schema/test_converter.py::test_timestamp_fraction_digits",
            f"{_CLIENT}test_unknown_enum_values_and_fields_still_populate",
        ),
    },
    "docs/configuration.md": {
        "5 s to connect, 15 s per read/write and for a free connection": (
            f"{_DEAD}test_the_defaults_are_documented_numbers",
            f"{_DEAD}test_each_attempt_is_bounded_by_15_s_by_default",
            f"{_CLIENT}test_per_call_timeout_overrides",
        ),
        "60 s for the whole call, attempts and waits between them included": (
            f"{_DEAD}test_the_defaults_are_documented_numbers",
            f"{_DEAD}test_no_retry_is_made_that_would_end_past_the_deadline",
            f"{_DEAD}test_total_timeout_must_be_positive_seconds_or_none",
            f"{_DEAD}test_total_timeout_per_call_through_with_options",
        ),
        "none; `extra_headers=` adds headers to one call": (
            f"{_CLIENT}test_default_and_extra_headers",
        ),
        "hooks and timeout are used, and the SDK never closes it": (
            f"{_CLIENT}test_injected_client_settings_respected_and_not_closed",
        ),
        "`False`: plain `http://` only to loopback": (
            "tests/config/test_server_url.py::test_plain_http_off_loopback_is_refused",
            "tests/config/test_server_url.py::test_plain_http_is_accepted_when_the_caller_opts_in",
            "tests/config/test_server_url.py::test_plain_http_is_accepted_when_the_environment_opts_in",
        ),
        "1 MiB (1,048,576 bytes) of a response body, counted once decoded": (
            f"{_MEM}test_the_default_bound_is_1_mib",
            f"{_MEM}test_a_compression_bomb_stops_at_the_bound",
        ),
        "The default server URL stays `https://api.ding.live/v1`": _DEFAULT_URL,
        "Plain `http://` is accepted only to this machine": (
            "tests/config/test_server_url.py::test_plain_http_off_loopback_is_refused",
            "tests/config/test_server_url.py::test_https_and_loopback_are_accepted",
        ),
        "A connection error's message is the request, what happened and where": (
            f"{_ERRORS}test_every_connection_error_has_a_detail",
            f"{_ERRORS}test_connection_refused_for_real",
            f"{_TRANSPORT}test_a_refused_connection_names_the_host_and_port",
            f"{_TRANSPORT}test_a_reset_connection_has_a_detail",
        ),
        "The SDK's own pool opens at most 100 connections": (
            f"{_TRANSPORT}test_the_own_pool_opens_at_most_100_connections",
        ),
        "at most 100 calls use the pool at once": (
            f"{_TRANSPORT}test_the_own_pool_opens_at_most_100_connections",
            f"{_CONC}test_a_full_pool_raises_the_same_pool_timeout_on_every_transport",
            f"{_CONC}test_the_queue_serves_in_order_and_skips_who_left",
        ),
        "Taking a free slot costs nothing measurable (a counter)": (
            f"{_CONC}test_the_queue_serves_in_order_and_skips_who_left",
        ),
        "15 s by default) bounds the wait in the queue": (
            f"{_CONC}test_the_pool_timeout_bounds_the_wait_in_line",
            f"{_CONC}test_a_full_pool_raises_the_same_pool_timeout_on_every_transport",
            f"{_DEAD}test_the_defaults_are_documented_numbers",
        ),
        "completes every call as long as the last one gets its turn": (
            f"{_CONC}test_a_thousand_concurrent_calls_on_one_client_all_complete",
        ),
        "or `pool=None` to wait as long as it takes": (
            f"{_CONC}test_the_pool_timeout_bounds_the_wait_in_line",
        ),
        "the SDK puts no queue in front of it": (
            f"{_CONC}test_an_injected_clients_pool_has_no_queue_in_front",
        ),
    },
    "docs/reliability.md": {
        "What the SDK holds to whatever the network or the server does": (
            f"{_MATRIX}test_async_client_under_each_fault",
            f"{_MATRIX}test_sync_client_under_each_fault",
            f"{_ERRORS}test_any_answer_is_an_envelope_or_a_ding_error",
        ),
        "Memory stays bounded whatever answers": (
            f"{_MEM}test_a_compression_bomb_stops_at_the_bound",
            f"{_MEM}test_a_long_success_raises_without_reading_the_rest",
            f"{_MEM}test_an_encoding_the_sdk_did_not_ask_for_is_malformed",
            f"{_MEM}test_gzip_answers_still_decode",
        ),
        "A longer success raises `ding.ResponseTooLargeError` without reading the rest": (
            f"{_MEM}test_a_long_success_raises_without_reading_the_rest",
            f"{_MEM}test_a_long_error_keeps_its_status_and_a_short_str",
            f"{_MEM}test_a_long_ding_error_message_is_shortened",
        ),
        "The API key never appears in a `repr`, an exception message or a log line": (
            _KEY_HIDDEN
        ),
        "Arguments that could not be sent": (
            f"{_CLIENT}test_api_key_that_cannot_be_a_header_is_refused_without_echo",
            "tests/pipeline/test_hostile_input.py::test_bad_arguments_are_usage_errors",
            "tests/schema/test_argument_checks.py::test_a_wrong_type_is_refused_before_sending",
        ),
        "every test that uses the `client` or `connect` fixture": (
            f"{_TRANSPORT}test_every_test_of_connect_runs_on_the_five_transports",
        ),
        "says why with `@pytest.mark.in_process_only(reason=...)`": (
            f"{_TRANSPORT}test_in_process_only_needs_a_reason",
        ),
        "`tests/transport/test_network_faults.py` injects every fault of": (
            f"{_MATRIX}test_the_table_covers_every_fault_and_operation",
            f"{_MATRIX}test_async_client_under_each_fault",
            f"{_MATRIX}test_sync_client_under_each_fault",
        ),
        "a POST is sent again only after a 429 or 503": (
            f"{_MATRIX}test_async_client_under_each_fault",
            f"{_MATRIX}test_sync_client_under_each_fault",
        ),
        "a 0.4 MB gzip body inflating to 400 MB": (
            f"{_MEM}test_a_compression_bomb_stops_at_the_bound",
            f"{_MATRIX}test_sync_a_compression_bomb_stops_at_the_bound",
        ),
        "a long success body; a 10 MB error body": (
            f"{_MEM}test_a_long_success_raises_without_reading_the_rest",
            f"{_MEM}test_a_long_error_keeps_its_status_and_a_short_str",
            f"{_MATRIX}test_sync_a_long_body_stops_at_the_bound",
        ),
        "a 307 to another origin": (
            "tests/pipeline/test_redirects.py::test_an_injected_client_that_follows_redirects_does_not",
            f"{_MATRIX}test_sync_an_injected_client_that_follows_redirects_does_not",
        ),
        "a server trickling a byte every 0.1 s": (
            f"{_DEAD}test_a_trickling_answer_cannot_stretch_an_attempt",
            f"{_DEAD}test_the_total_deadline_cuts_an_attempt_in_flight",
            f"{_MATRIX}test_sync_a_trickling_answer_cannot_stretch_an_attempt",
            f"{_MATRIX}test_sync_total_timeout_cuts_a_trickling_get",
        ),
        "1,000 concurrent calls on one client (32 threads on one `Ding`)": (
            f"{_CONC}test_a_thousand_concurrent_calls_on_one_client_all_complete",
            f"{_SYNC}test_thirty_two_threads_share_one_client",
        ),
        "`UsageError` naming the field; nothing sent": (
            "tests/schema/test_argument_checks.py::test_a_wrong_type_is_refused_before_sending",
            "tests/schema/test_argument_checks.py::test_a_request_object_with_a_wrong_type_is_refused",
            f"{_MATRIX}test_sync_a_keyword_of_the_wrong_type_is_refused_before_sending",
        ),
        "| every fault of `ding.testing` |": (
            f"{_MATRIX}test_async_client_under_each_fault",
            f"{_MATRIX}test_sync_client_under_each_fault",
        ),
        "a thread or descriptor left over fails it": (
            "tests/transport/test_unclosed_clients.py::test_a_short_soak_run_leaves_nothing_over",
        ),
    },
    "docs/reference/models.md": {
        "Every class is importable from the official SDK's paths": (
            "tests/schema/test_models.py::test_seed_import_paths",
            "tests/schema/test_models.py::test_components_official_names",
            "tests/schema/test_models.py::test_operations_official_aliases",
        ),
    },
    "docs/reference/errors.md": {
        "Every exception the SDK raises derives from `ding.DingError`.": (
            "tests/surface/test_public_names.py::test_every_error_derives_from_ding_error",
        ),
    },
    "docs/where-it-runs.md": {
        "is tested where legacy Python code runs": (
            "tests/runtimes/test_in_celery_workers.py::test_200_tasks_calling_a_module_level_ding_all_succeed",
            "tests/runtimes/test_in_django.py::test_50_concurrent_requests_to_a_sync_view_calling_ding_all_succeed",
            "tests/runtimes/test_across_multiprocessing.py::test_a_ding_used_before_a_fork_works_in_forked_children_and_after",
            "tests/runtimes/test_across_multiprocessing.py::test_spawned_workers_making_their_own_ding_all_sign_up",
            "tests/runtimes/test_under_uwsgi.py::test_the_standard_stop_is_as_fast_after_calls_on_the_workers_main_threads",
            "tests/runtimes/test_in_jupyter.py::test_a_sync_call_in_a_cell_warns_that_the_kernels_loop_is_blocked",
        ),
        "the loop gets a real OS thread, and a greenlet": (
            f"{_GREEN}test_the_hub_never_stalls_over_250_ms_while_the_calls_wait",
            f"{_GREEN}test_the_greenlets_calls_overlap",
        ),
        "50 greenlets share one `Ding`, by address and by host name": (
            f"{_GREEN}test_50_greenlets_sharing_one_ding_all_sign_up",
            f"{_GREEN}test_the_hub_never_stalls_over_250_ms_while_the_calls_wait",
            f"{_GREEN}test_50_greenlets_sign_up_through_a_ding_made_before_the_patching",
            f"{_GREEN}test_a_lone_greenlet_signs_up",
        ),
        "50 concurrent sign-ups, none fails": (
            "tests/runtimes/test_under_gunicorn_gevent.py::test_50_concurrent_sign_ups_on_2_gevent_workers_all_succeed",
        ),
        "one module-level `AsyncDing`, 8 threads of 300 calls each way": (
            "tests/transport/test_many_event_loops.py::test_one_client_serves_many_loops_at_once",
        ),
        "`AsyncDing` on uvloop's loop against a server closing idle connections": (
            f"{_IDLE}test_no_call_fails_and_each_is_handled_once",
        ),
    },
    "docs/logging.md": {
        "configures nothing by default": (
            "tests/pipeline/test_log_lines.py::test_off_unless_asked",
            "tests/pipeline/test_log_lines.py::test_no_line_when_off",
        ),
        "the variable is read once, at import, and attaches a handler only if": (
            "tests/pipeline/test_log_lines.py::test_ding_log_prints_one_masked_line_per_call",
            "tests/pipeline/test_log_lines.py::test_ding_log_leaves_a_configured_logger_alone",
            "tests/pipeline/test_log_lines.py::test_off_unless_asked",
        ),
        "An attempt whose request went out once more on a new connection": (
            "tests/pipeline/test_log_lines.py::test_a_request_sent_again_on_a_new_connection_says_so",
        ),
        "UUIDs in the path keep their first 4 characters": (
            "tests/pipeline/test_log_lines.py::test_mask",
            "tests/pipeline/test_log_lines.py::test_ding_log_prints_one_masked_line_per_call",
        ),
        "No line holds the API key, a header, a body, a code": (
            "tests/pipeline/test_log_lines.py::test_ding_log_prints_one_masked_line_per_call",
        ),
    },
    "docs/guides/tracing.md": {
        "every call of `AsyncDing` and `Ding` is traced and measured by the SDK itself": (
            f"{_TEL}test_the_sdk_pool_traces_a_retried_call",
            f"{_TEL}test_an_injected_client_traces_a_retried_call",
            f"{_TEL}test_the_sync_client_traces_a_retried_call_under_the_callers_span",
            f"{_TEL}test_the_counters_count_codes_sent_and_checks_by_status",
        ),
        "nothing changes and nothing is imported: the SDK looks for the package once": (
            f"{_TEL}test_without_opentelemetry_nothing_is_imported_and_calls_work",
            f"{_TEL}test_importing_ding_does_not_import_opentelemetry",
        ),
        "No span, event or metric holds the API key, a phone number, a code": (
            f"{_TEL}test_no_span_or_metric_holds_the_key_the_number_the_code_or_a_body",
            f"{_TEL}test_a_refusal_and_a_connection_failure_name_their_error_type",
        ),
        "only its template is recorded, and no full URL at all": (
            f"{_TEL}test_no_span_or_metric_holds_the_key_the_number_the_code_or_a_body",
            f"{_TEL}test_the_sdk_pool_traces_a_retried_call",
        ),
        "It does so even when it records nothing itself": (
            f"{_TEL}test_instrumentations_given_a_provider_of_their_own_stay_aside_too",
            f"{_TEL}test_httpx_and_aiohttp_instrumentations_add_no_duplicate_spans",
            f"{_TEL}test_without_the_suppression_the_instrumentations_would_duplicate",
        ),
        "The SDK adds no trace header to its requests either": (
            f"{_TEL}test_a_traced_request_is_the_request_sent_without_tracing",
            f"{_TEL}test_instrumentations_given_a_provider_of_their_own_stay_aside_too",
        ),
    },
    "docs/cli.md": {
        "`--default-region FR` reads a national one": (
            f"{_CLI}test_a_national_number_is_read_in_the_default_region",
        ),
        "`--timeout` bounds the whole call, retries included (60 s)": (
            f"{_CLI}test_the_timeout_is_60_s_and_max_retries_2_by_default",
        ),
        "The exit status is the same for every command": (
            f"{_CLI}test_the_docs_document_each_exit_status",
            f"{_CLI}test_a_negative_outcome_exits_3_with_the_answer",
            f"{_CLI}test_a_refused_request_exits_4",
        ),
        "usage error, nothing sent": (
            f"{_CLI}test_usage_errors_exit_2_and_say_what_is_wrong",
        ),
        "no usable answer: the connection failed or timed out": (
            f"{_CLI}test_no_usable_answer_exits_5",
        ),
        "An error is one message on standard error, never a traceback.": (
            f"{_CLI}test_usage_errors_exit_2_and_say_what_is_wrong",
            f"{_CLI}test_ctrl_c_exits_130_without_a_traceback",
        ),
        "The key never shows, neither in the output nor in an error": (
            f"{_CLI}test_the_key_is_never_shown",
        ),
        "(for any key of 8 characters or more)": (
            f"{_CLI}test_keys_of_8_characters_or_more_are_hidden_shorter_ones_are_not",
            f"{_CLI}test_a_key_given_as_api_key_equals_key_is_hidden_too",
            f"{_CLI}test_a_key_that_contains_the_other_is_hidden_whole",
        ),
        "No line is longer than the width, for a width of 20 columns or more": (
            f"{_TERMINAL}test_a_table_fits_the_terminal",
            "tests/cli/test_render.py::test_no_line_is_longer_than_the_width",
            "tests/cli/test_render.py::test_a_narrower_width_is_taken_for_the_least",
        ),
        "no row is wrapped: each stays on one line": (
            f"{_TERMINAL}test_a_table_into_a_pipe_keeps_its_rows_whole",
        ),
        "and no header is shown: never the key": (
            f"{_CLI}test_verbose_shows_each_request_and_its_time",
        ),
        "it exits 2 on a bad option or value (`--port 99999`) and 130 on Ctrl-C": (
            f"{_CLI}test_a_bad_option_of_ding_fake_is_a_usage_error",
            f"{_TERMINAL}test_ctrl_c_stops_the_fake_with_130",
            f"{_TERMINAL}test_sigterm_stops_the_fake_with_0",
        ),
        "an error is instead one line of JSON on standard error": (
            f"{_CLI}test_with_json_errors_are_json_objects",
            f"{_TERMINAL}test_ctrl_c_while_the_api_answers_exits_130",
        ),
    },
    "docs/fake.md": {
        "Every operation takes the parsed body as it came (any JSON value)": (
            "tests/testing/test_validation.py::test_any_json_body_gets_a_well_formed_answer",
            "tests/testing/test_schema.py::test_malformed_requests_get_error_responses",
            "tests/testing/test_schema.py::test_hostile_bodies_get_declared_answers",
        ),
        'every code "sent" lands in `FakeDing.outbox`': (
            f"{_FAKE_STATE}test_create_uses_the_injected_code_generator",
            "tests/testing/test_values.py::test_outbox_helpers",
            "tests/testing/test_values.py::test_manual_clock_starts_at_2025_and_moves_when_told",
        ),
        "codes have 6 digits and live 10 minutes": (
            "tests/testing/test_values.py::test_settings_defaults",
            f"{_FAKE_STATE}test_too_many_wrong_codes_lock_the_authentication",
            f"{_FAKE_STATE}test_retry_timing_and_exhaustion",
            f"{_FAKE_STATE}test_check_valid_then_already_validated",
            f"{_FAKE_STATE}test_open_mode_accepts_any_key",
            f"{_FAKE_STATE}test_strict_mode_accepts_only_listed_customers",
        ),
        "A phone number is `invalid_phone_number` unless it is E.164": (
            "tests/testing/test_validation.py::test_create_rejects_non_e164_numbers",
            "tests/testing/test_validation.py::test_create_accepts_e164_edges",
        ),
        "a number no numbering plan allows is `invalid_phone_number` too": (
            "tests/testing/test_validation.py::test_create_refuses_numbers_no_plan_allows",
            f"{_LOOKUP}test_a_number_that_cannot_exist_is_an_invalid_phone_number",
        ),
        "A number of a possible length that the plans do not list is taken": (
            f"{_LOOKUP}test_a_possible_number_the_plans_do_not_list_is_looked_up",
        ),
        "They are special only for `POST /authentication`": (
            f"{_FAKE_STATE}test_reserved_numbers_are_ordinary_for_lookup_and_feedback",
        ),
        "| `+15005550001` | 200, status `rate_limited`: no code is sent": (
            f"{_FAKE_INT}test_reserved_numbers",
            f"{_FAKE_STATE}test_reserved_rate_limited_number",
            "tests/testing/test_values.py::test_reserved_numbers_table",
        ),
        "| `+15005550002` | 200, status `spam_detected`: no code is sent": (
            f"{_FAKE_INT}test_reserved_numbers",
            f"{_FAKE_STATE}test_reserved_spam_number",
            "tests/testing/test_values.py::test_reserved_numbers_table",
        ),
        "wrong codes the authentication is locked": (
            f"{_FAKE_STATE}test_too_many_wrong_codes_lock_the_authentication",
            f"{_FAKE_STATE}test_max_invalid_checks_is_configurable",
        ),
        "only the newest code is valid": (
            f"{_FAKE_STATE}test_retry_timing_and_exhaustion",
        ),
        "report `remaining_retry` 0": (
            f"{_FAKE_STATE}test_retry_precedence",
            f"{_FAKE_STATE}test_reserved_rate_limited_number",
            f"{_FAKE_STATE}test_reserved_spam_number",
        ),
        "In stateless mode a create for a number with a live authentication": (
            f"{_FAKE_STATE}test_stateless_create_reuses_the_live_authentication",
            f"{_FAKE_STATE}test_stateless_reuse_of_a_locked_authentication_is_rate_limited",
        ),
        "Every attempt is delivered at once": (
            f"{_FAKE_STATE}test_retry_records_attempt_events",
            f"{_FAKE_STATE}test_webhook_events_for_create",
        ),
        "`rate_limited` and `spam_detected` creations send no webhook events": (
            f"{_FAKE_STATE}test_reserved_rate_limited_number",
            f"{_FAKE_STATE}test_reserved_spam_number",
        ),
        "In open mode authentications are not scoped to a customer": (
            f"{_FAKE_STATE}test_open_mode_does_not_scope_authentications",
            f"{_FAKE_STATE}test_feedback_is_per_customer_and_number",
        ),
        "| `country_code` | the region whose plan holds the number": (
            f"{_LOOKUP}test_lookup_agrees_with_the_numbering_plans",
            f"{_NO_PHONE}test_numbers_are_sent_as_given_and_the_fake_still_answers",
        ),
        "| `mcc`, `mnc` | the library has neither": (
            f"{_LOOKUP}test_the_issues_examples_and_their_networks",
            f"{_LOOKUP}test_every_network_code_is_a_carrier_the_library_names",
        ),
        "| `number_ported`, `temporary_phone_number`, `caller_name`": (
            f"{_LOOKUP}test_lookup_is_deterministic_and_only_the_sourceless_fields_vary",
        ),
        "The same number always gets the same answer": (
            f"{_LOOKUP}test_lookup_is_deterministic_and_only_the_sourceless_fields_vary",
            f"{_LOOKUP}test_a_number_that_cannot_exist_is_an_invalid_phone_number",
        ),
        "Every payload has `id` (a UUID, one per event)": (
            f"{_FAKE_HOOKS}test_events_are_delivered_with_the_documented_shape",
            f"{_HOOKS}test_docs_fake_md_describes_every_event_the_fake_sends",
        ),
        "POSTs it until the receiver answers 200 (5 attempts": (
            f"{_FAKE_HOOKS}test_events_are_resent_until_acknowledged_with_the_same_id",
            f"{_FAKE_HOOKS}test_resending_is_bounded",
            f"{_FAKE_HOOKS}test_by_default_five_attempts_with_the_wait_doubling_from_a_fifth_of_a_second",
        ),
        "`redeliver(delivery)` sends one again with the same payload": (
            f"{_HOOKS}test_the_example_receiver_authenticates_parses_and_deduplicates",
        ),
        "`ding.webhooks` parses exactly these events.": (
            f"{_HOOKS}test_every_event_the_fake_sends_parses_to_its_type",
        ),
        "on its root URL (`ding_server` without `/v1`), with no API key": (
            f"{_README}test_the_fakes_endpoints_answer_as_documented",
            f"{_FAKE_INT}test_introspection_routes_over_tcp",
        ),
        '`404 {"message": "no code was sent to that number"}`': (
            f"{_README}test_the_fakes_endpoints_answer_as_documented",
        ),
        "the messages sent to that number, oldest first": (
            f"{_README}test_the_fakes_endpoints_answer_as_documented",
        ),
        "every authentication, message and fault forgotten": (
            f"{_README}test_the_fakes_endpoints_answer_as_documented",
            f"{_FAKE_STATE}test_reset_forgets_everything",
        ),
        "or else on the next `times` calls (default 1)": (
            f"{_FAKE_INT}test_a_fault_spec_defaults_to_any_operation_and_the_next_call",
            f"{_FAKE_INT}test_faults_by_call_number_and_sdk_retries",
        ),
    },
}
