"""README.md's promises and the tests that pin them (see tests/test_promises.py).

Each key is a short phrase quoted from the README (whitespace normalised);
each value names the tests that fail when that promise breaks. Grouped by
the README's sections, in their order.
"""

from __future__ import annotations

from typing import Final

# Units that report one measured run rather than promise a behaviour: the
# number changes with the machine and the run, and the script that measured
# it owns it. Each maps to why it is not pinned.
MEASURED: Final[dict[str, str]] = {
    "One run (Python 3.12.1, 2026-11-30, commit 7349a2d": (
        "one soak run's measurements on the development machine"
    ),
    "The first round raises the process's high-water mark": (
        "explains that soak run's numbers"
    ),
}

_CLIENT: Final = "tests/test_client.py::"
_CONC: Final = "tests/test_concurrency.py::"
_DEAD: Final = "tests/test_deadlines.py::"
_RETRY: Final = "tests/test_retry.py::"
_MEM: Final = "tests/test_bounded_memory.py::"
_MATRIX: Final = "tests/test_fault_matrix.py::"
_CLI: Final = "tests/test_cli.py::"
_HOOKS: Final = "tests/test_webhooks.py::"
_FAKE_INT: Final = "tests/testing/test_integration.py::"
_FAKE_STATE: Final = "tests/testing/test_state.py::"
_README: Final = "tests/test_readme.py::"
_IDLE: Final = "tests/test_idle_connections.py::"

PROMISES: Final[dict[str, tuple[str, ...]]] = {
    # The v1 API
    "The default server URL stays `https://api.ding.live/v1`": (
        f"{_CLIENT}test_empty_api_key_is_accepted",
        f"{_CLIENT}test_server_idx_and_url_params",
    ),
    "Plain `http://` is accepted only to this machine": (
        "tests/test_server_url.py::test_plain_http_off_loopback_is_refused",
        "tests/test_server_url.py::test_https_and_loopback_are_accepted",
    ),
    # Async usage
    "Every field of a decoded body is Optional": (
        "tests/test_converter.py::test_empty_object_decodes_to_defaults",
        "tests/test_converter.py::test_nulls_decode_to_none",
        "tests/test_models.py::test_response_fields_are_optional",
    ),
    "which type checkers need no `assert` for": (
        "tests/test_accessors.py::test_a_normal_flow_reads_typed_values",
        f"{_README}test_blocks_type_check_under_mypy",
        f"{_README}test_blocks_type_check_under_pyright",
    ),
    "naming the missing field and, when the answer had one, its status": (
        "tests/test_accessors.py::test_a_missing_uuid_names_the_field_and_the_status",
        "tests/test_accessors.py::test_a_missing_status_is_named",
    ),
    "returns a copy with other settings that borrows the same pool": (
        f"{_CLIENT}test_with_options_shares_the_pool",
        f"{_CLIENT}test_closing_a_copy_leaves_the_original_working",
        f"{_CLIENT}test_closing_the_original_closes_the_pool_for_every_copy",
        "tests/test_sync.py::test_closing_a_sync_copy_leaves_the_original_working",
    ),
    "A client that is never closed goes quietly": (
        "tests/test_unclosed.py::test_unclosed_client_is_quiet",
        "tests/test_unclosed.py::test_forked_child_leaves_the_parents_connections_alone",
    ),
    # Sync usage
    "never delays interpreter exit": (
        "tests/test_sync.py::test_thirty_two_threads_share_one_client",
        "tests/test_sync.py::test_fork_child_uses_fresh_connections",
        "tests/test_portal.py::test_fork_child_gets_a_fresh_loop_and_parent_keeps_its_own",
        "tests/test_portal.py::test_exit_with_a_call_in_flight_is_delayed_about_a_second_at_most",
        "tests/test_sync.py::test_unclosed_client_does_not_hang_exit",
        "tests/test_sync.py::test_ctrl_c_in_a_real_process_stops_the_send",
        "tests/test_portal.py::test_ctrl_c_cancels_the_call_in_flight",
    ),
    "The SDK installs no signal handler": (
        "tests/test_portal.py::test_calls_leave_every_signal_disposition_as_they_found_it",
    ),
    "one background daemon thread, which every sync": (
        "tests/test_portal.py::test_every_call_of_every_thread_runs_on_one_daemon_loop_thread",
        "tests/test_portal.py::test_concurrent_first_calls_start_exactly_one_loop",
        "tests/test_portal.py::test_import_starts_nothing",
    ),
    # Where it runs
    "one module-level `AsyncDing`, 8 threads of 300 calls each way": (
        "tests/test_event_loops.py::test_one_client_serves_many_loops_at_once",
    ),
    "`AsyncDing` on uvloop's loop against a server closing idle connections": (
        f"{_IDLE}test_no_call_fails_and_each_is_handled_once",
    ),
    "is tested where legacy Python code runs": (
        "tests/runtimes/test_in_celery_workers.py::test_200_tasks_calling_a_module_level_ding_all_succeed",
        "tests/runtimes/test_in_django.py::test_50_concurrent_requests_to_a_sync_view_calling_ding_all_succeed",
        "tests/runtimes/test_across_multiprocessing.py::test_a_ding_used_before_a_fork_works_in_forked_children_and_after",
        "tests/runtimes/test_across_multiprocessing.py::test_spawned_workers_making_their_own_ding_all_sign_up",
        "tests/runtimes/test_under_uwsgi.py::test_the_standard_stop_is_as_fast_after_calls_on_the_workers_main_threads",
        "tests/runtimes/test_in_jupyter.py::test_a_sync_call_in_a_cell_warns_that_the_kernels_loop_is_blocked",
    ),
    "the loop gets a real OS thread, and a greenlet": (
        "tests/runtimes/test_under_green_threads.py::test_the_hub_never_stalls_over_250_ms_while_the_calls_wait",
        "tests/runtimes/test_under_green_threads.py::test_the_greenlets_calls_overlap",
    ),
    "50 greenlets share one `Ding`, by address and by host name": (
        "tests/runtimes/test_under_green_threads.py::test_50_greenlets_sharing_one_ding_all_sign_up",
        "tests/runtimes/test_under_green_threads.py::test_the_hub_never_stalls_over_250_ms_while_the_calls_wait",
        "tests/runtimes/test_under_green_threads.py::test_50_greenlets_sign_up_through_a_ding_made_before_the_patching",
        "tests/runtimes/test_under_green_threads.py::test_a_lone_greenlet_signs_up",
    ),
    "50 concurrent sign-ups, none fails": (
        "tests/runtimes/test_under_gunicorn_gevent.py::test_50_concurrent_sign_ups_on_2_gevent_workers_all_succeed",
    ),
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
    "Responses are read forward-compatibly": (
        "tests/test_converter.py::test_unknown_enum_value_kept_as_str",
        "tests/test_converter.py::test_unknown_keys_ignored",
        "tests/test_converter.py::test_timestamp_forms",
        "tests/test_converter.py::test_timestamp_fraction_digits",
        f"{_CLIENT}test_unknown_enum_values_and_fields_still_populate",
    ),
    # Configuration
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
        "tests/test_server_url.py::test_plain_http_off_loopback_is_refused",
        "tests/test_server_url.py::test_plain_http_is_accepted_when_the_caller_opts_in",
        "tests/test_server_url.py::test_plain_http_is_accepted_when_the_environment_opts_in",
    ),
    "1 MiB (1,048,576 bytes) of a response body, counted once decoded": (
        f"{_MEM}test_the_default_bound_is_1_mib",
        f"{_MEM}test_a_compression_bomb_stops_at_the_bound",
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
    "A connection error's message is the request, what happened and where": (
        "tests/test_errors.py::test_every_connection_error_has_a_detail",
        "tests/test_errors.py::test_connection_refused_for_real",
        "tests/test_transport.py::test_a_refused_connection_names_the_host_and_port",
        "tests/test_transport.py::test_a_reset_connection_has_a_detail",
    ),
    # Connection pool and concurrency
    "The SDK's own pool opens at most 100 connections": (
        "tests/test_transport.py::test_the_own_pool_opens_at_most_100_connections",
    ),
    "at most 100 calls use the pool at once": (
        "tests/test_transport.py::test_the_own_pool_opens_at_most_100_connections",
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
    "every test that uses the `client` or `connect` fixture": (
        "tests/test_transport.py::test_every_test_of_connect_runs_on_the_five_transports",
    ),
    "says why with `@pytest.mark.in_process_only(reason=...)`": (
        "tests/test_transport.py::test_in_process_only_needs_a_reason",
    ),
    "Retries are safe by default, because a retried send can send a second SMS": (
        f"{_RETRY}test_connect_error_is_retried_for_posts",
        f"{_RETRY}test_retry_after_is_honoured_for_posts",
        f"{_RETRY}test_retry_after_too_long_is_not_waited",
        f"{_RETRY}test_a_retry_after_over_60_seconds_is_never_waited",
        f"{_RETRY}test_get_is_retried_on_transient_failures",
        f"{_RETRY}test_post_that_may_have_arrived_is_not_retried",
    ),
    "A pool timeout is never retried": (
        f"{_RETRY}test_a_pool_timeout_is_never_retried",
    ),
    "Servers close keep-alive connections that stay idle too long": (
        f"{_IDLE}test_no_call_fails_and_each_is_handled_once",
        "tests/test_transport.py::test_the_own_pool_opens_at_most_100_connections",
    ),
    "keeps a connection at most 4 s idle, a second under the common 5 s": (
        "tests/test_transport.py::test_the_own_pool_opens_at_most_100_connections",
        f"{_IDLE}test_a_keep_alive_timeout_is_kept_with_a_margin",
        f"{_IDLE}test_a_connection_is_not_reused_past_its_deadline",
        f"{_IDLE}test_no_call_fails_and_each_is_handled_once",
    ),
    "is sent once more at once, on a new connection, whatever its method": (
        f"{_IDLE}test_no_call_fails_and_each_is_handled_once",
        f"{_IDLE}test_only_a_reused_connection_lost_before_any_answer_is_stale",
        f"{_IDLE}test_a_request_is_sent_again_only_once_and_on_a_new_connection",
        f"{_MATRIX}test_async_client_under_each_fault",
        f"{_MATRIX}test_sync_client_under_each_fault",
        f"{_FAKE_INT}test_the_embedded_server_logs_each_request",
    ),
    "Through an `httpx.AsyncClient` you inject, and behind a proxy": (
        # injected-httpx-reused: a GET sent again, a POST not; in-process
        # (not httpcore): nothing.
        f"{_MATRIX}test_async_client_under_each_fault",
        f"{_MATRIX}test_sync_client_under_each_fault",
        f"{_IDLE}test_what_httpcore_reports_of_an_injected_clients_connection",
    ),
    "`python scripts/idle_connections.py` runs 1,000 calls per client": (
        f"{_IDLE}test_no_call_fails_and_each_is_handled_once",
    ),
    "apart from the stale connection above, nothing is sent twice": (
        f"{_RETRY}test_post_that_may_have_arrived_is_not_retried",
        "tests/test_transport.py::test_a_post_that_may_have_arrived_is_not_retried",
        f"{_MATRIX}test_async_client_under_each_fault",
        f"{_MATRIX}test_a_reused_connection_sends_again_only_what_it_never_answered",
    ),
    "Backoff: 0.5 s doubling up to 8 s, minus up to 25 % jitter": (
        f"{_RETRY}test_backoff_grows_caps_and_jitters",
        f"{_RETRY}test_backoff_subtracts_up_to_25_percent_of_random_jitter",
        f"{_RETRY}test_total_elapsed_bound",
    ),
    "httpx's own timeouts bound each socket operation": (
        f"{_DEAD}test_a_trickling_answer_cannot_stretch_an_attempt",
    ),
    "The SDK also bounds each whole attempt": (
        f"{_DEAD}test_a_trickling_answer_cannot_stretch_an_attempt",
        f"{_DEAD}test_each_attempt_is_bounded_by_15_s_by_default",
        f"{_DEAD}test_the_total_deadline_cuts_an_attempt_in_flight",
        f"{_DEAD}test_no_retry_is_made_that_would_end_past_the_deadline",
    ),
    "An attempt cut by its bound counts as a read timeout": (
        f"{_DEAD}test_a_get_retries_each_cut_attempt_within_the_total",
        f"{_DEAD}test_a_trickling_answer_cannot_stretch_an_attempt",
    ),
    "The API key never appears in a `repr`, an exception message or a log line": (
        "tests/test_errors.py::test_the_key_never_appears_in_errors",
        f"{_CLIENT}test_repr_hides_the_key",
        "tests/test_hostile.py::test_the_key_is_redacted_on_every_reachable_request",
        "tests/test_logging.py::test_ding_log_prints_one_masked_line_per_call",
    ),
    "Arguments that could not be sent": (
        f"{_CLIENT}test_api_key_that_cannot_be_a_header_is_refused_without_echo",
        "tests/test_hostile.py::test_bad_arguments_are_usage_errors",
        "tests/test_input_types.py::test_a_wrong_type_is_refused_before_sending",
    ),
    # Logging
    "An attempt whose request went out once more on a new connection": (
        "tests/test_logging.py::test_a_request_sent_again_on_a_new_connection_says_so",
    ),
    "configures nothing by default": (
        "tests/test_logging.py::test_off_unless_asked",
        "tests/test_logging.py::test_no_line_when_off",
    ),
    "the variable is read once, at import, and attaches a handler only if": (
        "tests/test_logging.py::test_ding_log_prints_one_masked_line_per_call",
        "tests/test_logging.py::test_ding_log_leaves_a_configured_logger_alone",
        "tests/test_logging.py::test_off_unless_asked",
    ),
    "UUIDs in the path keep their first 4 characters": (
        "tests/test_logging.py::test_mask",
        "tests/test_logging.py::test_ding_log_prints_one_masked_line_per_call",
    ),
    "No line holds the API key, a header, a body, a code": (
        "tests/test_logging.py::test_ding_log_prints_one_masked_line_per_call",
    ),
    # Errors
    "Everything the SDK raises derives from `ding.DingError`": (
        "tests/test_errors.py::test_any_answer_is_an_envelope_or_a_ding_error",
        "tests/test_errors.py::test_any_answer_on_each_transport",
        "tests/test_exported.py::test_every_error_derives_from_ding_error",
        "tests/test_hostile.py::test_raw_transport_failures_are_connection_errors",
    ),
    "3xx: a redirect, never followed": (
        "tests/test_redirects.py::test_a_redirect_is_an_error_naming_the_location",
        "tests/test_redirects.py::test_credentials_in_the_location_are_not_shown",
        "tests/test_redirects.py::test_an_injected_client_that_follows_redirects_does_not",
    ),
    "2xx longer than `max_response_size` once decoded": (
        f"{_MEM}test_a_long_success_raises_without_reading_the_rest",
        f"{_MEM}test_a_compression_bomb_stops_at_the_bound",
    ),
    "invalid arguments, closed client (nothing sent)": (
        f"{_CLIENT}test_closed_client_refuses_calls",
        "tests/test_hostile.py::test_bad_arguments_are_usage_errors",
    ),
    "The tree has no trap": (
        "tests/test_error_tree.py::test_the_tree_has_no_trap",
        "tests/test_error_tree.py::test_every_4xx_is_a_client_error",
        "tests/test_errors.py::test_403_forbidden_is_an_sdk_error_in_seed_form",
        "tests/test_errors.py::test_a_refused_key_says_where_it_came_from",
        "tests/test_errors.py::test_a_404_says_when_the_server_url_lacks_v1",
    ),
    "picks the same branch for every answer as it did there": (
        "tests/test_error_tree.py::test_seed_except_pattern_takes_the_same_branch",
        "tests/test_error_tree.py::test_seed_except_pattern_takes_the_same_branch_sync",
    ),
    # Migration
    "Calls time out (5 s to connect, 15 s per read, 60 s per call)": (
        f"{_DEAD}test_the_defaults_are_documented_numbers",
        f"{_RETRY}test_a_failure_safe_to_repeat_is_retried_twice_by_default",
        f"{_RETRY}test_seed_retry_config_translation",
        f"{_RETRY}test_max_retries_zero_disables",
    ),
    "the seed SDK's `POST /lookup` no longer exists": (
        f"{_CLIENT}test_post_lookup_seed_style",
    ),
    "Models are frozen attrs classes, built by keyword only": (
        "tests/test_models.py::test_every_model_is_frozen_kw_only_and_documented",
    ),
    "with the customer UUID given once": (
        f"{_README}test_block_runs_against_the_fake",
    ),
    "without `server_url` it goes to the default URL": (
        f"{_CLIENT}test_empty_api_key_is_accepted",
    ),
    "What differs from 3.x: `api_key` is a string": (
        f"{_CLIENT}test_wrong_client_type_is_a_usage_error_naming_both_types",
        "tests/test_models.py::test_every_model_is_frozen_kw_only_and_documented",
        "tests/test_converter.py::test_unknown_enum_value_kept_as_str",
        f"{_DEAD}test_the_defaults_are_documented_numbers",
    ),
    # Webhooks
    "for up to two weeks, so the same event can arrive more than once": (
        f"{_HOOKS}test_the_default_ttl_covers_dings_two_weeks_of_resends",
        f"{_HOOKS}test_an_event_gets_through_once",
    ),
    "`parse_event(body)` returns a typed, frozen event": (
        f"{_HOOKS}test_the_documented_event_parses",
        f"{_HOOKS}test_an_unknown_kind_is_kept_raw",
        f"{_HOOKS}test_timestamps_are_read_leniently",
        f"{_HOOKS}test_a_body_that_is_not_an_event_raises_webhook_error",
    ),
    "`Deduplicator().first_time(event)` is True once per event": (
        f"{_HOOKS}test_an_event_gets_through_once",
        f"{_HOOKS}test_the_default_ttl_covers_dings_two_weeks_of_resends",
        f"{_HOOKS}test_the_in_memory_store_is_bounded_dropping_the_oldest",
        f"{_HOOKS}test_the_in_memory_store_is_thread_safe",
        f"{_HOOKS}test_a_shared_store_plugs_in",
    ),
    "The fake sends exactly the events above": (
        f"{_HOOKS}test_every_event_the_fake_sends_parses_to_its_type",
        "tests/testing/test_webhooks.py::test_events_are_delivered_with_the_documented_shape",
    ),
    # Command line
    "`--timeout` bounds the whole call, retries included (60 s)": (
        f"{_CLI}test_the_timeout_is_60_s_and_max_retries_2_by_default",
    ),
    "The exit status is the same for every command": (
        f"{_CLI}test_the_readme_documents_each_exit_status",
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
    # Testing with the fake Ding API
    "answers every operation of the v1 API as the contract describes": (
        "tests/testing/test_schema.py::test_create_check_and_status_with_every_field",
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
        "tests/testing/test_server.py::test_the_request_log_cannot_be_forged_with_a_line_break",
    ),
    "codes have 6 digits and live 10 minutes": (
        "tests/testing/test_values.py::test_settings_defaults",
        f"{_FAKE_STATE}test_too_many_wrong_codes_lock_the_authentication",
        f"{_FAKE_STATE}test_retry_timing_and_exhaustion",
        f"{_FAKE_STATE}test_check_valid_then_already_validated",
    ),
    "re-sent until answered with a 200 (5 attempts)": (
        "tests/testing/test_webhooks.py::test_events_are_resent_until_acknowledged_with_the_same_id",
        "tests/testing/test_webhooks.py::test_resending_is_bounded",
    ),
    "describes the rest of its behaviour": (
        f"{_HOOKS}test_docs_fake_md_describes_every_event_the_fake_sends",
    ),
    "| `+15005550001` | 200, `status` `rate_limited`, no code sent |": (
        f"{_FAKE_INT}test_reserved_numbers",
        f"{_FAKE_STATE}test_reserved_rate_limited_number",
    ),
    "| `+15005550002` | 200, `status` `spam_detected`, no code sent |": (
        f"{_FAKE_INT}test_reserved_numbers",
        f"{_FAKE_STATE}test_reserved_spam_number",
    ),
    # The fault table's rows: the client's view and whether the operation
    # happened, for each fault.
    "| `Fault.server_error(status_code)` |": (f"{_FAKE_INT}test_each_fault_kind",),
    "| `Fault.rate_limited(retry_after)` |": (f"{_FAKE_INT}test_each_fault_kind",),
    "| `Fault.unavailable(retry_after)` |": (f"{_FAKE_INT}test_each_fault_kind",),
    "| `Fault.drop_before_response()` |": (f"{_FAKE_INT}test_each_fault_kind",),
    "| `Fault.html_error(status_code)` |": (f"{_FAKE_INT}test_each_fault_kind",),
    "| `Fault.empty_body()` |": (f"{_FAKE_INT}test_each_fault_kind",),
    # Reliability
    "`tests/test_fault_matrix.py` injects every fault above": (
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
        "tests/test_redirects.py::test_an_injected_client_that_follows_redirects_does_not",
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
        "tests/test_sync.py::test_thirty_two_threads_share_one_client",
    ),
    "`UsageError` naming the field; nothing sent": (
        "tests/test_input_types.py::test_a_wrong_type_is_refused_before_sending",
        "tests/test_input_types.py::test_a_request_object_with_a_wrong_type_is_refused",
        f"{_MATRIX}test_sync_a_keyword_of_the_wrong_type_is_refused_before_sending",
    ),
    "| every fault of `ding.testing` |": (
        f"{_MATRIX}test_async_client_under_each_fault",
        f"{_MATRIX}test_sync_client_under_each_fault",
    ),
    "a thread or descriptor left over fails it": (
        "tests/test_unclosed.py::test_a_short_soak_run_leaves_nothing_over",
    ),
    # Testing your app
    "A field `FakeSettings` does not have fails the test at setup": (
        "tests/testing/test_plugin.py::test_a_wrong_ding_settings_marker_fails_at_setup_saying_why",
    ),
    # The fake's endpoints
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
}
