/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * A private dbus-daemon for the tests that need a real bus, in a temporary folder of its own,
 * and the child processes (test service, fake players) that the tests start on it. Set-up
 * failures abort: a test cannot go on without its bus.
 */
#include <stdbool.h>
#include <sys/types.h>

#include <systemd/sd-event.h>

struct private_bus {
        char dir[64];
        char address[128]; /* "unix:path=DIR/bus" once started */
        const char *rules; /* more <policy> rules, or NULL */
        pid_t pid;
};

/* Makes the folder /tmp/adhocd-NAME-XXXXXX; rules (may be NULL) go into the bus's policy. */
void private_bus_init(struct private_bus *b, const char *name, const char *rules);
/* Starts the daemon (again, after private_bus_stop()) at the same address. */
void private_bus_start(struct private_bus *b);
void private_bus_stop(struct private_bus *b);
/* Stops the daemon and removes the folder. */
void private_bus_done(struct private_bus *b);

/* Starts argv (stderr hidden unless TEST_DBUS_VERBOSE is set) and waits for it to print READY. */
pid_t private_bus_spawn(char *const argv[]);
/* Starts tests/dbus/test-service on the bus, as generation. */
pid_t private_bus_spawn_test_service(const struct private_bus *b, unsigned generation);
/* Ends a child started by private_bus_spawn() and zeroes *pid; nothing if it is 0. */
void private_bus_kill(pid_t *pid);

/* Runs e until pred(userdata) holds; false (saying so) if that takes longer than a minute. */
bool private_bus_run_until(sd_event *e, bool (*pred)(const void *), const void *userdata);
/* The same, until *flag is set. */
bool private_bus_run_until_set(sd_event *e, const bool *flag);
