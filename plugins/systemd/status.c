/* SPDX-License-Identifier: MIT */
/*
 * systemd/status. The form stage offers an optional choice of one unit (the allowed units that
 * exist); the answer is a table of the allowed units (unit, description, load, active, sub,
 * unit file, since) listed afresh, loaded or not, and with a unit chosen, its details: main
 * PID, memory and the last journal lines.
 *
 *   the listing (listing.c) -> Get StateChangeTimestamp of each loaded unit, one after the
 *   other -> [chosen: LoadUnit, Id re-checked (resolve.c) -> GetAll of
 *   org.freedesktop.systemd1.Service -> journal] -> the answer
 */
#include <stdio.h>
#include <time.h>

#include "systemd-internal.h"

static int add_field(struct form_result *f, const char *var, const char *label, const char *v)
{
        if (isempty(v))
                return 0;
        return form_result_add_field(f, var, label, FORM_FIELD_TEXT_SINGLE,
                                     (char *[]){(char *)v, NULL});
}

static int add_table(struct form_result *f, const struct sysd_request *req)
{
        static const char *const cols[][2] = {
            {"unit", N_("Unit")},   {"description", N_("Description")},
            {"load", N_("Load")},   {"active", N_("Active")},
            {"sub", N_("Sub")},     {"file", N_("Unit file")},
            {"since", N_("Since")},
        };
        const char *lang = req->call->lang;
        int r = 0;

        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(cols); i++)
                r = form_result_add_column(f, cols[i][0], l10n(lang, cols[i][1]));
        for (size_t i = 0; r >= 0 && i < req->n_units; i++) {
                const struct sysd_unit *u = &req->units[i];
                const char *row[] = {u->name,
                                     u->description,
                                     u->load,
                                     u->active,
                                     u->sub,
                                     strempty(u->file_state),
                                     req->since && req->since[i] ? req->since[i] : ""};

                r = form_result_add_row(f, row);
        }
        return r;
}

static void format_since(uint64_t usec, char *buf, size_t size)
{
        time_t t = (time_t)(usec / USEC_PER_SEC);
        struct tm tm;

        if (usec == 0 || !localtime_r(&t, &tm) ||
            strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm) == 0)
                snprintf(buf, size, "%s", "");
}

/* The answer; details is the chosen unit's (NULL: none). */
static void answer(struct sysd_request *req, struct form_result *details_in)
{
        _cleanup_(form_result_freep) struct form_result *details = details_in;
        _cleanup_(action_result_freep) struct action_result *res = action_result_new();
        _cleanup_(form_result_freep) struct form_result *f = form_result_new();
        int r;

        if (!res || !f) {
                sysd_request_finish(req, NULL);
                return;
        }
        r = form_result_set_title(f, l10n(req->call->lang, "Services"));
        if (r >= 0 && req->n_units == 0)
                r = action_result_add_note(res, NOTE_INFO, "%s",
                                           l10n(req->call->lang, "No allowed unit exists."));
        if (r >= 0 && req->n_units > 0)
                r = add_table(f, req);
        /* The details first, then the table: one form carries fields and one table. */
        for (size_t i = 0; r >= 0 && details && i < details->n_fields; i++)
                r = form_result_add_field(f, details->fields[i].var, details->fields[i].label,
                                          details->fields[i].type, details->fields[i].values);
        if (r < 0) {
                sysd_request_finish(req, NULL);
                return;
        }
        res->form = TAKE_PTR(f);
        sysd_request_finish(req, TAKE_PTR(res));
}

/* ---- Details of the chosen unit ---- */

static int read_service(sd_bus_message *reply, uint32_t *pid, uint64_t *memory)
{
        const char *name;
        int r;

        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        while (r > 0) {
                r = sd_bus_message_enter_container(reply, 'e', "sv");
                if (r <= 0)
                        break;
                r = sd_bus_message_read(reply, "s", &name);
                if (r >= 0 && streq(name, "MainPID"))
                        r = sd_bus_message_read(reply, "v", "u", pid);
                else if (r >= 0 && streq(name, "MemoryCurrent"))
                        r = sd_bus_message_read(reply, "v", "t", memory);
                else if (r >= 0)
                        r = sd_bus_message_skip(reply, "v");
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
                if (r >= 0)
                        r = 1;
        }
        return r;
}

static int on_service(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        struct sysd_request *req = userdata;
        const struct sysd_config *cfg = req->s->cfg;
        const char *lang = req->call->lang;
        _cleanup_(form_result_freep) struct form_result *d = form_result_new();
        _cleanup_strv_free_ char **lines = NULL;
        uint32_t pid = 0;
        uint64_t memory = UINT64_MAX;
        char buf[64];
        int r = 0, jr;

        req->slot = sd_bus_slot_unref(req->slot);
        /* Not a service (a timer, a socket): no PID nor memory, the journal all the same. */
        if (!d) {
                sysd_request_finish(req, NULL);
                return 0;
        }
        if (!sd_bus_message_is_method_error(reply, NULL))
                (void)read_service(reply, &pid, &memory);
        r = add_field(d, "detail_unit", l10n(lang, "Details of"), req->unit);
        if (r >= 0 && pid > 0) {
                snprintf(buf, sizeof(buf), "%u", pid);
                r = add_field(d, "main_pid", l10n(lang, "Main PID"), buf);
        }
        if (r >= 0 && memory != UINT64_MAX) {
                snprintf(buf, sizeof(buf), "%.1f MiB", (double)memory / (1024.0 * 1024.0));
                r = add_field(d, "memory", l10n(lang, "Memory"), buf);
        }
        if (r >= 0 && cfg->journal_lines > 0) {
                jr = sysd_journal_tail(cfg->journal_dir, req->resolved, cfg->journal_lines, &lines);
                if (jr < 0)
                        lines = NULL;
                if (lines)
                        r = form_result_add_field(d, "journal", l10n(lang, "Journal"),
                                                  FORM_FIELD_TEXT_MULTI, lines);
                else
                        r = add_field(d, "journal", l10n(lang, "Journal"),
                                      jr < 0 ? l10n(lang, "(unreadable: the agent's user needs the "
                                                          "systemd-journal group)")
                                             : l10n(lang, "(no lines)"));
        }
        if (r < 0) {
                sysd_request_finish(req, NULL);
                return 0;
        }
        answer(req, TAKE_PTR(d));
        return 0;
}

static void on_resolved(struct sysd_request *req)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = sysd_method_new(req->s, req->unit_path, "org.freedesktop.DBus.Properties", "GetAll",
                            &m);
        if (r >= 0)
                r = sd_bus_message_append(m, "s", SYSD_SERVICE_IF);
        if (r >= 0)
                r = sysd_call(req->s, m, &req->slot, on_service, req);
        if (r < 0)
                answer(req, NULL);
}

static void details(struct sysd_request *req)
{
        _cleanup_free_ char *text = NULL;
        bool listed = false;

        for (size_t i = 0; i < req->n_units && !listed; i++)
                listed = streq(req->units[i].name, req->unit);
        if (!listed) {
                if (asprintf(&text, l10n(req->call->lang, "%s does not exist (any more)."),
                             req->unit) < 0)
                        text = NULL;
                sysd_request_finish_note(req, text ? 0 : -ENOMEM, NOTE_ERROR, text);
                return;
        }
        /* A unit that is not loaded is loaded for its details, as systemctl status does. */
        req->resolved_cb = on_resolved;
        sysd_request_resolve(req);
}

/* ---- Since when: StateChangeTimestamp of each unit ---- */

static void next_since(struct sysd_request *req);

static int on_since(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        struct sysd_request *req = userdata;
        uint64_t usec = 0;
        char buf[64];

        req->slot = sd_bus_slot_unref(req->slot);
        if (!sd_bus_message_is_method_error(reply, NULL) &&
            sd_bus_message_read(reply, "v", "t", &usec) >= 0) {
                format_since(usec, buf, sizeof(buf));
                free(req->since[req->next_unit]);
                req->since[req->next_unit] = strdup(buf);
        }
        req->next_unit++;
        next_since(req);
        return 0;
}

static void next_since(struct sysd_request *req)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        /* A unit that is not loaded has no object to ask (yet). */
        while (req->next_unit < req->n_units && !req->units[req->next_unit].path)
                req->next_unit++;
        if (req->next_unit >= req->n_units) {
                if (req->unit)
                        details(req);
                else
                        answer(req, NULL);
                return;
        }
        r = sysd_method_new(req->s, req->units[req->next_unit].path,
                            "org.freedesktop.DBus.Properties", "Get", &m);
        if (r >= 0)
                r = sd_bus_message_append(m, "ss", SYSD_UNIT, "StateChangeTimestamp");
        if (r >= 0)
                r = sysd_call(req->s, m, &req->slot, on_since, req);
        if (r < 0)
                answer(req, NULL);
}

static void on_listed(struct sysd_listing *l, const sd_bus_error *e, struct sysd_unit *units,
                      size_t n)
{
        struct sysd_request *req =
            (struct sysd_request *)((char *)l - offsetof(struct sysd_request, listing));
        _cleanup_free_ char *text = NULL;

        if (e) {
                text = sysd_error_text(l10n(req->call->lang, "the units"), SYSD_VERB_STATUS, e,
                                       req->call->lang);
                sysd_request_finish_note(req, text ? 0 : -ENOMEM, NOTE_ERROR, text);
                return;
        }
        req->units = units;
        req->n_units = n;
        req->since = zalloc((n + 1) * sizeof(char *));
        if (!req->since) {
                sysd_request_finish(req, NULL);
                return;
        }
        next_since(req);
}

static int status_start(struct action_call *call)
{
        const struct sysd_command *cmd = call->cfg;
        struct sysd *s = cmd->cfg->link->state;
        const char *unit = form_values_first(call->values, "unit");
        struct sysd_request *req;
        int r;

        if (!s) {
                sysd_call_finish_note(call, 0, NOTE_ERROR,
                                      l10n(call->lang, "The systemd commands are not running."));
                return 0;
        }
        if (!isempty(unit) && !sysd_config_allows_unit(cmd->cfg, unit)) {
                sysd_call_finish_note(call, -EINVAL, NOTE_ERROR,
                                      l10n(call->lang, "Unit: not one of the allowed units."));
                return 0;
        }
        r = sysd_request_new(s, call, SYSD_VERB_STATUS, &req);
        if (r < 0)
                return r;
        if (!isempty(unit) && !(req->unit = strdup(unit))) {
                sysd_request_finish(req, NULL);
                return 0;
        }
        req->listing.done = on_listed;
        r = sysd_list_units(s, &req->listing);
        if (r < 0)
                sysd_request_finish_note(req, 0, NOTE_ERROR,
                                         l10n(call->lang, "The D-Bus connection to systemd is "
                                                          "down; try again shortly."));
        return 0;
}

static int status_build_form(const void *cfg, const struct action_call *call, struct form **ret)
{
        return sysd_units_form(cfg, false, call->lang, ret);
}

const struct action_ops sysd_status_action = {
    .key = "systemd-status",
    .free_cfg = free,
    .start = status_start,
    .cancel = sysd_request_cancel,
    .build_form = status_build_form,
    .available = sysd_command_available,
};
