/* SPDX-License-Identifier: MIT */
/*
 * systemd/start, systemd/stop, systemd/restart, systemd/reload:
 *
 *   check the name -> LoadUnit -> Get Id (the name systemd resolves it to) -> check it again
 *   (resolve.c) -> {Start,Stop,Restart,Reload}Unit(id, "replace") -> follow the job until
 * JobRemoved names its path or job_timeout passes -> GetAll of the unit (ActiveState, SubState)
 *   -> on failure, the last journal lines -> the answer
 *
 * Every step is an asynchronous call owned by the request; cancelling the command drops it
 * (a job already queued in systemd runs on: that is systemd's to finish). A unit outside the
 * allow-list is refused with bad-payload before anything is called. Calls never allow
 * interactive authorization.
 */
#include <stdio.h>

#include "log.h"
#include "systemd-internal.h"

static bool job_succeeded(const char *result)
{
        return streq(result, "done");
}

static int add_field(struct form_result *f, const char *var, const char *label, const char *v)
{
        if (isempty(v))
                return 0;
        return form_result_add_field(f, var, label, FORM_FIELD_TEXT_SINGLE,
                                     (char *[]){(char *)v, NULL});
}

/* The answer: the job's result, the state now and, on failure, the journal. */
static void answer(struct sysd_request *req, const char *active, const char *sub)
{
        _cleanup_(action_result_freep) struct action_result *res = action_result_new();
        _cleanup_(form_result_freep) struct form_result *f = form_result_new();
        _cleanup_strv_free_ char **lines = NULL;
        const struct sysd_config *cfg = req->s->cfg;
        const char *result = req->job_result, *lang = req->call->lang;
        bool ok = job_succeeded(result);
        char state[128];
        int r, jr = 0;

        if (!res || !f) {
                sysd_request_finish(req, NULL);
                return;
        }
        snprintf(state, sizeof(state), "%s (%s)", active ? active : l10n(lang, "unknown"),
                 sub ? sub : l10n(lang, "unknown"));
        r = action_result_add_note(
            res, ok ? NOTE_INFO : NOTE_ERROR, l10n(lang, "%s %s: %s; now %s."),
            l10n(lang, sysd_verb_label(req->verb)), req->resolved, result, state);
        if (!ok && cfg->journal_lines > 0) {
                jr = sysd_journal_tail(cfg->journal_dir, req->resolved, cfg->journal_lines, &lines);
                if (jr < 0 && r >= 0)
                        r = action_result_add_note(res, NOTE_WARN,
                                                   l10n(lang, "The journal could not be read (%s); "
                                                              "the agent's user needs the "
                                                              "systemd-journal group."),
                                                   strerror(-jr));
                else if (!lines && r >= 0)
                        r = action_result_add_note(
                            res, NOTE_WARN, l10n(lang, "No journal lines for %s."), req->resolved);
        }
        if (r >= 0)
                r = form_result_set_title(f, req->resolved);
        if (r >= 0)
                r = add_field(f, "unit", l10n(lang, "Unit"), req->resolved);
        if (r >= 0)
                r = add_field(f, "result", l10n(lang, "Job result"), result);
        if (r >= 0)
                r = add_field(f, "active", l10n(lang, "Active"), active);
        if (r >= 0)
                r = add_field(f, "sub", l10n(lang, "Sub-state"), sub);
        if (r >= 0 && lines)
                r = form_result_add_field(f, "journal", l10n(lang, "Journal"),
                                          FORM_FIELD_TEXT_MULTI, lines);
        if (r < 0) {
                sysd_request_finish(req, NULL);
                return;
        }
        res->form = TAKE_PTR(f);
        sysd_request_finish(req, TAKE_PTR(res));
}

/* ---- After the job: the state ---- */

static int on_state(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        struct sysd_request *req = userdata;
        _cleanup_free_ char *active = NULL, *sub = NULL;
        const char *name, *v;
        int r;

        req->slot = sd_bus_slot_unref(req->slot);
        if (sd_bus_message_is_method_error(reply, NULL)) {
                /* The job's outcome is known all the same: say it, state unknown. */
                answer(req, NULL, NULL);
                return 0;
        }
        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        while (r > 0) {
                r = sd_bus_message_enter_container(reply, 'e', "sv");
                if (r <= 0)
                        break;
                r = sd_bus_message_read(reply, "s", &name);
                if (r >= 0 && (streq(name, "ActiveState") || streq(name, "SubState"))) {
                        r = sd_bus_message_read(reply, "v", "s", &v);
                        if (r >= 0 && streq(name, "ActiveState") && !active)
                                active = sysd_text_clean(v, 64);
                        else if (r >= 0 && !sub)
                                sub = sysd_text_clean(v, 64);
                } else if (r >= 0) {
                        r = sd_bus_message_skip(reply, "v");
                }
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
                if (r >= 0)
                        r = 1;
        }
        answer(req, active, sub);
        return 0;
}

static void job_over(struct sysd_request *req, const char *result)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        req->timer = sd_event_source_disable_unref(req->timer);
        free(req->job_result);
        req->job_result = sysd_text_clean(result, 32);
        if (!req->job_result) {
                sysd_request_finish(req, NULL);
                return;
        }
        r = sysd_method_new(req->s, req->unit_path, "org.freedesktop.DBus.Properties", "GetAll",
                            &m);
        if (r >= 0)
                r = sd_bus_message_append(m, "s", SYSD_UNIT);
        if (r >= 0)
                r = sysd_call(req->s, m, &req->slot, on_state, req);
        if (r < 0)
                answer(req, NULL, NULL);
}

static void on_job_removed(struct sysd_job_wait *w, const char *result)
{
        struct sysd_request *req =
            (struct sysd_request *)((char *)w - offsetof(struct sysd_request, wait));

        job_over(req, result);
}

static int on_job_timeout(sd_event_source *es, uint64_t usec, void *userdata)
{
        struct sysd_request *req = userdata;

        /* The job may still run: systemd finishes it; we stop waiting. */
        sysd_job_wait_remove(req->s, &req->wait);
        job_over(req, "timeout");
        return 0;
}

/* ---- The job ---- */

static int on_queued(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        struct sysd_request *req = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        const char *job, *result = NULL;
        int r;

        req->slot = sd_bus_slot_unref(req->slot);
        if (e) {
                sysd_request_finish_dbus_error(req, e);
                return 0;
        }
        r = sd_bus_message_read(reply, "o", &job);
        if (r < 0) {
                sysd_request_finish_note(req, 0, NOTE_ERROR,
                                         l10n(req->call->lang, "systemd gave an unreadable job."));
                return 0;
        }
        log_info("systemd: %s %s queued as %s", sysd_verb_to_string(req->verb), req->resolved, job);
        req->wait.removed = on_job_removed;
        r = sysd_job_wait_add(req->s, &req->wait, job, &result);
        if (r > 0) {
                job_over(req, result);
                return 0;
        }
        if (r >= 0)
                r = sd_event_add_time_relative(req->s->event, &req->timer, CLOCK_MONOTONIC,
                                               req->s->cfg->job_timeout, 0, on_job_timeout, req);
        if (r < 0)
                sysd_request_finish(req, NULL);
        return 0;
}

static void queue_job(struct sysd_request *req)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        char method[32];
        int r;

        snprintf(method, sizeof(method), "%sUnit", sysd_verb_label(req->verb));
        r = sysd_method_new(req->s, SYSD_PATH, SYSD_MANAGER, method, &m);
        if (r >= 0)
                r = sd_bus_message_append(m, "ss", req->resolved, "replace");
        if (r >= 0)
                r = sysd_call(req->s, m, &req->slot, on_queued, req);
        if (r < 0)
                sysd_request_finish_down(req);
}

/* ---- The action ---- */

static int verb_start(struct action_call *call)
{
        const struct sysd_command *cmd = call->cfg;
        struct sysd *s = cmd->cfg->link->state;
        const char *unit = form_values_first(call->values, "unit");
        _cleanup_free_ char *text = NULL;
        struct sysd_request *req;
        int r;

        if (!s) {
                sysd_call_finish_note(call, 0, NOTE_ERROR,
                                      l10n(call->lang, "The systemd commands are not running."));
                return 0;
        }
        if (!sysd_config_has_verb(cmd->cfg, cmd->verb)) {
                sysd_call_finish_note(call, -EPERM, NOTE_ERROR,
                                      l10n(call->lang, "This verb is not allowed."));
                return 0;
        }
        if (isempty(unit)) {
                sysd_call_finish_note(call, -EINVAL, NOTE_ERROR,
                                      l10n(call->lang, "Unit: choose a unit."));
                return 0;
        }
        /* The session accepts only the units it offered; checked again all the same. */
        if (!sysd_config_allows_unit(cmd->cfg, unit)) {
                _cleanup_free_ char *shown = sysd_text_clean(unit, 255);

                if (asprintf(&text, l10n(call->lang, "Unit: '%s' is not one of the allowed units."),
                             shown ? shown : "?") < 0)
                        text = NULL;
                sysd_call_finish_note(call, text ? -EINVAL : -ENOMEM, NOTE_ERROR, text);
                return 0;
        }
        r = sysd_request_new(s, call, cmd->verb, &req);
        if (r < 0)
                return r;
        req->unit = strdup(unit);
        if (!req->unit) {
                sysd_request_finish(req, NULL);
                return 0;
        }
        req->resolved_cb = queue_job;
        sysd_request_resolve(req);
        return 0;
}

static int verb_build_form(const void *cfg, const struct action_call *call, struct form **ret)
{
        return sysd_units_form(cfg, true, call->lang, ret);
}

const struct action_ops sysd_verb_action = {
    .key = "systemd",
    .free_cfg = free,
    .start = verb_start,
    .cancel = sysd_request_cancel,
    .build_form = verb_build_form,
    .available = sysd_command_available,
};
