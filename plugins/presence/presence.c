/* SPDX-License-Identifier: MIT */
/*
 * The presence feature on the loop: a timer runs the probes every interval (the /proc ones at
 * once; the disks in a child, as statvfs() can hang on a network file system; failed_units
 * and the script asynchronously), and when the last one is in, the monitor decides what to
 * publish and whom to alert. A run still going when the next tick comes makes that tick skip,
 * so runs never overlap.
 */
#include <signal.h>
#include <unistd.h>

#include "child-call.h"
#include "log.h"
#include "presence-internal.h"

#define BUS_TIMEOUT  (10 * USEC_PER_SEC)
#define DISK_TIMEOUT (10 * USEC_PER_SEC)

struct presence {
        const struct presence_config *cfg;
        struct feature_host host;
        struct presence_monitor *monitor;
        sd_event_source *tick, *manual_timer;
        sd_bus *bus;
        sd_bus_slot *units_slot;
        struct presence_script *script;
        struct child_call *disks;
        struct presence_values values; /* of the run in progress */
        unsigned pending;              /* asynchronous probes not in yet */
        bool running;
        bool *failing; /* per probe, then the script: warn once per failure streak */
        usec_t started;
};

static usec_t now_mono(void)
{
        return now_usec(CLOCK_MONOTONIC);
}

/* Logs a probe's failure once, and its recovery. */
static void probe_outcome(struct presence *p, size_t idx, const char *label, int r,
                          const char *detail)
{
        if (r >= 0 && p->failing[idx])
                log_info("presence: probe %s works again", label);
        if (r >= 0 || p->failing[idx]) {
                if (r < 0)
                        log_debug("presence: probe %s still failing", label);
                p->failing[idx] = r < 0;
                return;
        }
        p->failing[idx] = true;
        if (detail)
                log_warning("presence: probe %s failed (%s); its values show as '?'", label,
                            detail);
        else
                log_warning_errno(r, "presence: probe %s failed (%m); its values show as '?'",
                                  label);
}

static void run_finish(struct presence *p)
{
        int r;

        p->running = false;
        r = presence_monitor_step(p->monitor, &p->values, now_mono());
        if (r < 0)
                log_error_errno(r, "presence: cannot update: %m");
        presence_values_done(&p->values);
}

static void run_one_done(struct presence *p)
{
        if (--p->pending == 0)
                run_finish(p);
}

static size_t probe_index(const struct presence *p, enum presence_probe_kind kind)
{
        for (size_t i = 0; i < p->cfg->n_probes; i++)
                if (p->cfg->probes[i].kind == kind)
                        return i;
        return 0;
}

static int on_units(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        struct presence *p = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        int r;

        p->units_slot = sd_bus_slot_unref(p->units_slot);
        r = presence_probe_failed_units_finish(reply, &p->values);
        probe_outcome(p, probe_index(p, PRESENCE_PROBE_FAILED_UNITS), "failed_units", r,
                      e && e->message ? e->message : NULL);
        run_one_done(p);
        return 0;
}

static void disks_outcome(struct presence *p, const int *results, int error)
{
        const struct presence_config *c = p->cfg;

        for (size_t i = 0; i < c->n_probes; i++) {
                int r = results ? results[i] : error;

                if (c->probes[i].kind != PRESENCE_PROBE_DISK)
                        continue;
                probe_outcome(p, i, c->probes[i].label, r,
                              r == -ETIMEDOUT ? "no answer within 10 s: a hung mount?" : NULL);
        }
}

static void on_disks(struct child_call *cc, const char *output, size_t len, int error,
                     void *userdata)
{
        struct presence *p = userdata;
        _cleanup_free_ int *results = calloc(p->cfg->n_probes, sizeof(int));
        int r = results ? presence_disks_read(p->cfg, output, len, error, &p->values, results)
                        : -ENOMEM;

        p->disks = child_call_free(p->disks);
        if (r < 0)
                log_error("presence: out of memory");
        disks_outcome(p, r < 0 ? NULL : results, r);
        run_one_done(p);
}

/* The disk probes in a child; if it cannot start, their values are unknown. */
static void disks_start(struct presence *p)
{
        const struct presence_config *c = p->cfg;
        bool any = false;
        int r;

        for (size_t i = 0; i < c->n_probes; i++)
                any = any || c->probes[i].kind == PRESENCE_PROBE_DISK;
        if (!any)
                return;
        r = child_call_start(p->host.event, presence_disks_measure, c, DISK_TIMEOUT, on_disks, p,
                             &p->disks);
        if (r >= 0) {
                p->pending++;
                return;
        }
        for (size_t i = 0; i < c->n_probes; i++)
                if (c->probes[i].kind == PRESENCE_PROBE_DISK)
                        (void)presence_disk_set(c->probes[i].path, r, NULL, &p->values);
        disks_outcome(p, NULL, r);
}

static void on_script(struct presence_script *s, const struct presence_values *v, const char *error,
                      void *userdata)
{
        struct presence *p = userdata;

        p->script = presence_script_free(p->script);
        probe_outcome(p, p->cfg->n_probes, "script", error ? -EIO : 0, error);
        /* Built-in values win over a script's of the same name. */
        for (size_t i = 0; i < v->n; i++)
                if (!presence_values_get(&p->values, v->v[i].name) &&
                    presence_values_set(&p->values, v->v[i].name, v->v[i].text) < 0)
                        log_error("presence: out of memory");
        run_one_done(p);
}

static void run_start(struct presence *p)
{
        const struct presence_config *c = p->cfg;
        int r;

        if (p->running) {
                log_debug("presence: the previous probe run is still going, skipping a tick");
                return;
        }
        p->running = true;
        p->pending = 1; /* this function's own share, so that nothing finishes the run early */
        disks_start(p);
        for (size_t i = 0; i < c->n_probes; i++) {
                if (c->probes[i].kind == PRESENCE_PROBE_DISK)
                        continue;
                if (c->probes[i].kind != PRESENCE_PROBE_FAILED_UNITS) {
                        r = presence_probe_run(&c->probes[i], c->root, &p->values);
                        probe_outcome(p, i, c->probes[i].label, r, NULL);
                        continue;
                }
                r = presence_probe_failed_units_start(&p->bus, p->host.event, BUS_TIMEOUT, on_units,
                                                      p, &p->units_slot);
                if (r >= 0) {
                        p->pending++;
                        continue;
                }
                probe_outcome(p, i, "failed_units", r, NULL);
                (void)presence_values_set(&p->values, "failed_units", NULL);
        }
        if (c->script_argv) {
                r = presence_script_start(p->host.event, c->script_argv, c->script_timeout,
                                          on_script, p, &p->script);
                if (r >= 0)
                        p->pending++;
                else
                        probe_outcome(p, c->n_probes, "script", r, NULL);
        }
        run_one_done(p);
}

static int on_tick(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct presence *p = userdata;
        usec_t next = usec + p->cfg->interval, now = now_mono();
        int r;

        /* Keep the pace of the schedule, unless the loop fell behind it. */
        r = sd_event_source_set_time(s, next > now ? next : now + p->cfg->interval);
        if (r >= 0)
                r = sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        if (r < 0)
                log_error_errno(r, "presence: cannot schedule the probes: %m");
        run_start(p);
        return 0;
}

static int on_manual_end(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct presence *p = userdata;

        (void)presence_monitor_manual_check(p->monitor, now_mono());
        return 0;
}

static int presence_parse(const struct ynode *n, void **ret_cfg, struct diags *d)
{
        return presence_config_parse(n, (struct presence_config **)ret_cfg, d);
}

static void presence_free_cfg(void *cfg)
{
        presence_config_free(cfg);
}

static void presence_stop(void *state)
{
        struct presence *p = state;

        if (!p)
                return;
        presence_control_detach(p);
        presence_script_free(p->script);
        child_call_free(p->disks);
        sd_bus_slot_unref(p->units_slot);
        sd_bus_close_unref(p->bus);
        sd_event_source_disable_unref(p->tick);
        sd_event_source_disable_unref(p->manual_timer);
        presence_monitor_free(p->monitor);
        presence_values_done(&p->values);
        free(p->failing);
        free(p);
}

static void presence_freep(struct presence **p)
{
        presence_stop(*p);
}

/* sd_event_add_child() needs SIGCHLD blocked; block it if the program did not. */
static int block_sigchld(void)
{
        sigset_t mask;

        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;
        return 0;
}

static int presence_start(const struct feature_host *host, const void *cfgp, void **ret_state)
{
        const struct presence_config *cfg = cfgp;
        _cleanup_(presence_freep) struct presence *p = NULL;
        char hostname[256] = "localhost";
        int r;

        p = zalloc(sizeof(*p));
        if (!p)
                return -ENOMEM;
        p->cfg = cfg;
        p->host = *host;
        p->started = now_mono();
        p->failing = calloc(cfg->n_probes + 1, sizeof(bool));
        if (!p->failing)
                return -ENOMEM;
        if (gethostname(hostname, sizeof(hostname) - 1) < 0)
                strcpy(hostname, "localhost");
        r = presence_monitor_new(cfg, &p->host, hostname, &p->monitor);
        if (r < 0)
                return r;
        if (cfg->script_argv) {
                r = block_sigchld();
                if (r < 0)
                        return log_error_errno(r, "presence: cannot block SIGCHLD: %m");
        }
        /* The first run at once, so that the status is ready when the agent is online. */
        r = sd_event_add_time(host->event, &p->tick, CLOCK_MONOTONIC, 1, 0, on_tick, p);
        if (r < 0)
                return log_error_errno(r, "presence: cannot add the probe timer: %m");
        presence_control_attach(p);
        *ret_state = TAKE_PTR(p);
        return 0;
}

/* Resolves alerts.to and control now that every access list is known, and adds the set-status
 * command when control is set. */
static int presence_link(void *cfgp, const struct ynode *n, struct command_sink *sink)
{
        struct presence_config *cfg = cfgp;
        int r;

        r = presence_config_link(cfg, n, sink);
        if (r < 0 || !cfg->has_control)
                return r;
        return presence_control_add_command(cfg, ynode_get(n, "control"), sink);
}

static void presence_online(void *state)
{
        struct presence *p = state;

        presence_monitor_online(p->monitor, now_mono());
}

const struct feature_ops presence_feature = {
    .key = "presence",
    .parse = presence_parse,
    .free_cfg = presence_free_cfg,
    .start = presence_start,
    .stop = presence_stop,
    .online = presence_online,
    .link = presence_link,
};

const struct access *presence_control_access(const void *cfg)
{
        const struct presence_config *c = cfg;

        return c && c->has_control ? &c->control : NULL;
}

int presence_set_manual(void *state, const char *show, const char *text, usec_t duration)
{
        struct presence *p = state;
        enum presence_show s;
        usec_t now = now_mono(), until;
        int r;

        if (presence_show_from_string(show, &s) < 0)
                return -EINVAL;
        until = duration == 0 || duration >= USEC_INFINITY - now ? USEC_INFINITY : now + duration;
        r = presence_monitor_set_manual(p->monitor, s, text, until, now);
        if (r < 0)
                return r;
        p->manual_timer = sd_event_source_disable_unref(p->manual_timer);
        if (until == USEC_INFINITY)
                return 0;
        r = sd_event_add_time(p->host.event, &p->manual_timer, CLOCK_MONOTONIC, until, 0,
                              on_manual_end, p);
        if (r < 0) {
                /* Without its timer it would never end: rather not set it at all. */
                presence_monitor_clear_manual(p->monitor, now);
                return r;
        }
        return 0;
}

void presence_clear_manual(void *state)
{
        struct presence *p = state;

        p->manual_timer = sd_event_source_disable_unref(p->manual_timer);
        presence_monitor_clear_manual(p->monitor, now_mono());
}

int presence_describe(void *state, const char *lang, char **ret)
{
        struct presence *p = state;

        return presence_monitor_describe(p->monitor, now_mono(), lang, ret);
}

usec_t presence_uptime(void *state)
{
        struct presence *p = state;

        return now_mono() - p->started;
}
