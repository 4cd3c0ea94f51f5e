/* SPDX-License-Identifier: MIT */
#pragma once

#include <systemd/sd-event.h>

#include "util.h"

/*
 * Work that may block, done off the loop: a function runs in a forked child (no exec, so it
 * sees the agent's memory as it was) and writes its answer to a pipe, which the loop reads.
 * The child is reaped by an sd-event child source and killed after a timeout. For the C
 * library's resolver (agent/resolve.c) and statvfs() of a mount that may hang (presence).
 */

#define CHILD_CALL_OUTPUT_MAX 4096

struct child_call;

/* Runs in the child: writes its answer to fd; < 0 on failure (the exit status says so). */
typedef int (*child_call_fn_t)(const void *arg, int fd);

/* output: what the child wrote, NUL-terminated (len bytes, may be 0). error: 0, -ETIMEDOUT
 * (killed), -EMSGSIZE (more than CHILD_CALL_OUTPUT_MAX; killed) or -EIO (the function failed
 * or the child died; output holds what it wrote). */
typedef void (*child_call_done_t)(struct child_call *c, const char *output, size_t len, int error,
                                  void *userdata);

/* Forks the child (fn(arg, fd) runs there at once: arg needs to live only during this call);
 * cb runs later from the loop, never from within this call, and once. The caller frees the
 * call, from cb or later (output lives until then). SIGCHLD must be blocked. */
int child_call_start(sd_event *e, child_call_fn_t fn, const void *arg, usec_t timeout,
                     child_call_done_t cb, void *userdata, struct child_call **ret);
/* Cancels a call still running (its child is killed, and reaped by the loop); cb is never
 * called after this. */
struct child_call *child_call_free(struct child_call *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct child_call *, child_call_free)
