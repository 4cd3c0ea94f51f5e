/* SPDX-License-Identifier: MIT */
#pragma once

#include <syslog.h>

#include "util.h"

/* Logging for the program layer. Library-like modules (parsers, forms) never log. */
void log_setup(bool verbose);
int log_get_max_level(void);
/* Tests that do a lot quietly. */
void log_set_max_level(int level);
/* Logs at a syslog level; returns -abs(error) so callers can `return log_error_errno(r, ...)`. */
int log_internal(int level, int error, const char *fmt, ...) _printf_(3, 4);

#define log_debug(...)            log_internal(LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(...)             log_internal(LOG_INFO, 0, __VA_ARGS__)
#define log_notice(...)           log_internal(LOG_NOTICE, 0, __VA_ARGS__)
#define log_warning(...)          log_internal(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...)            log_internal(LOG_ERR, 0, __VA_ARGS__)
#define log_debug_errno(e, ...)   log_internal(LOG_DEBUG, (e), __VA_ARGS__)
#define log_warning_errno(e, ...) log_internal(LOG_WARNING, (e), __VA_ARGS__)
#define log_error_errno(e, ...)   log_internal(LOG_ERR, (e), __VA_ARGS__)
