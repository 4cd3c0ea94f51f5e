/* SPDX-License-Identifier: MIT */
/*
 * What the commands share: requests and their ownership, the list-single of units, texts
 * made safe to show, and the one place where D-Bus errors become notes.
 */
#include <stdio.h>

#include "systemd-internal.h"

/* ---- Requests ---- */

int sysd_request_new(struct sysd *s, struct action_call *call, enum sysd_verb verb,
                     struct sysd_request **ret)
{
        struct sysd_request *req = zalloc(sizeof(*req));

        if (!req)
                return -ENOMEM;
        req->s = s;
        req->call = call;
        req->verb = verb;
        req->next = s->requests;
        if (s->requests)
                s->requests->prev = req;
        s->requests = req;
        call->userdata = req;
        *ret = req;
        return 0;
}

struct sysd_request *sysd_request_free(struct sysd_request *req)
{
        struct sysd *s;

        if (!req)
                return NULL;
        s = req->s;
        if (req->prev)
                req->prev->next = req->next;
        else if (s->requests == req)
                s->requests = req->next;
        if (req->next)
                req->next->prev = req->prev;
        sd_bus_slot_unref(req->slot);
        sd_event_source_disable_unref(req->timer);
        sysd_job_wait_remove(s, &req->wait);
        sysd_listing_cancel(&req->listing);
        /* Not a strv: a unit without a timestamp (not loaded) leaves a NULL in the middle. */
        for (size_t i = 0; req->since && i < req->n_units; i++)
                free(req->since[i]);
        free(req->since);
        sysd_units_free(req->units, req->n_units);
        free(req->unit);
        free(req->resolved);
        free(req->unit_path);
        free(req->job_result);
        free(req);
        return NULL;
}

void sysd_call_finish_note(struct action_call *call, int error, enum note_type type,
                           const char *text)
{
        struct action_result *res = action_result_new();

        if (res) {
                res->error = error;
                if (text && action_result_add_note(res, type, "%s", text) < 0)
                        res->error = -ENOMEM;
        }
        action_call_complete(call, res);
}

void sysd_request_finish(struct sysd_request *req, struct action_result *res)
{
        struct action_call *call = req->call;

        call->userdata = NULL;
        sysd_request_free(req);
        action_call_complete(call, res);
}

void sysd_request_finish_note(struct sysd_request *req, int error, enum note_type type,
                              const char *text)
{
        struct action_call *call = req->call;

        call->userdata = NULL;
        sysd_request_free(req);
        sysd_call_finish_note(call, error, type, text);
}

void sysd_request_cancel(struct action_call *call)
{
        /* Dropping the slot cancels the call; a job already queued in systemd runs on. */
        sysd_request_free(call->userdata);
        call->userdata = NULL;
}

void sysd_requests_abort(struct sysd *s)
{
        while (s->requests)
                sysd_request_finish_note(s->requests, 0, NOTE_ERROR,
                                         l10n(s->requests->call->lang,
                                              "The systemd commands were restarted; look at the "
                                              "unit's state before trying again."));
}

/* ---- Texts ---- */

char *sysd_text_clean(const char *s, size_t max)
{
        size_t n = 0, len = s ? strlen(s) : 0;
        char *out = malloc(len * 3 + 1), *p = out;

        if (!out)
                return NULL;
        for (size_t i = 0; i < len && n < max;) {
                unsigned char c = (unsigned char)s[i];
                size_t k = c < 0x80         ? 1
                           : (c >> 5) == 6  ? 2
                           : (c >> 4) == 14 ? 3
                           : (c >> 3) == 30 ? 4
                                            : 0;
                bool ok = k > 0 && i + k <= len && n + k <= max;

                for (size_t j = 1; ok && j < k; j++)
                        ok = ((unsigned char)s[i + j] >> 6) == 2;
                if (ok && k == 1 && (c < 0x20 || c == 0x7f))
                        ok = false;
                if (!ok) {
                        if (k == 0 || i + k > len || n + 3 > max)
                                k = 1;
                        if (n + 3 > max)
                                break;
                        memcpy(p, "\xef\xbf\xbd", 3);
                        p += 3;
                        n += 3;
                        i += k;
                        continue;
                }
                memcpy(p, s + i, k);
                p += k;
                n += k;
                i += k;
        }
        *p = 0;
        return out;
}

char *sysd_error_text(const char *unit, enum sysd_verb verb, const sd_bus_error *e,
                      const char *lang)
{
        _cleanup_free_ char *name = sysd_text_clean(e ? e->name : "", 200);
        _cleanup_free_ char *message = sysd_text_clean(e ? e->message : "", SYSD_LINE_MAX);
        const char *v = sysd_verb_to_string(verb);
        char *s = NULL;
        int k;

        if (!name || !message)
                return NULL;
        if (sd_bus_error_has_names(e, SD_BUS_ERROR_ACCESS_DENIED,
                                   SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED))
                k = asprintf(&s,
                             l10n(lang, "systemd refused to %s %s: permission denied (%s). The "
                                        "agent's user may not manage this unit: the machine's "
                                        "administrator must grant it %s on %s with a polkit rule "
                                        "for org.freedesktop.systemd1.manage-units (see "
                                        "examples/polkit/50-adhocd.rules, installed to "
                                        "/etc/polkit-1/rules.d/)."),
                             v, unit, name, v, unit);
        else if (sd_bus_error_has_name(e, "org.freedesktop.systemd1.NoSuchUnit"))
                k = asprintf(&s, l10n(lang, "%s does not exist (any more)."), unit);
        else if (sd_bus_error_has_names(e, SD_BUS_ERROR_NO_REPLY, SD_BUS_ERROR_DISCONNECTED,
                                        SD_BUS_ERROR_SERVICE_UNKNOWN,
                                        SD_BUS_ERROR_NAME_HAS_NO_OWNER))
                k = asprintf(&s,
                             l10n(lang, "systemd is not reachable (%s: %s); try again shortly."),
                             name, message);
        else
                k = asprintf(&s, l10n(lang, "systemd refused to %s %s: %s: %s"), v, unit, name,
                             message);
        return k < 0 ? NULL : s;
}

/* ---- Forms ---- */

int sysd_units_form(const struct sysd_command *cmd, bool required, const char *lang,
                    struct form **ret)
{
        struct sysd *s = cmd->cfg->link->state;
        _cleanup_(form_freep) struct form *f = zalloc(sizeof(*f));
        struct form_field *fld;
        size_t n_offered = 0;
        int r;

        if (!f)
                return -ENOMEM;
        if (i18n_set_plain(&f->title, cmd->verb == SYSD_VERB_STATUS
                                          ? l10n(lang, "Services")
                                          : l10n(lang, sysd_verb_title(cmd->verb))) < 0)
                return -ENOMEM;
        for (size_t i = 0; s && i < s->n_units; i++)
                n_offered += sysd_unit_offered(&s->units[i], cmd->verb);
        if (n_offered == 0) {
                const char *why = !s ? l10n(lang, "The systemd commands are not running.")
                                  : s->n_units == 0 ? l10n(lang, "No allowed unit exists (yet).")
                                                    : l10n(lang, "Every allowed unit is masked.");

                fld = form_add_field(f, FORM_FIELD_FIXED, NULL, NULL);
                if (!fld || strv_extend(&fld->defaults, why) < 0)
                        return -ENOMEM;
        }
        fld = form_add_field(f, FORM_FIELD_LIST_SINGLE, "unit",
                             cmd->verb == SYSD_VERB_STATUS ? l10n(lang, "Details of (optional)")
                                                           : l10n(lang, "Unit"));
        if (!fld)
                return -ENOMEM;
        fld->required = required && n_offered > 0;
        for (size_t i = 0; s && i < s->n_units; i++) {
                const struct sysd_unit *u = &s->units[i];
                _cleanup_free_ char *label = NULL;

                if (!sysd_unit_offered(u, cmd->verb))
                        continue;
                if (asprintf(&label, "%s (%s)", u->name, u->active) < 0)
                        return -ENOMEM;
                r = form_field_add_option(fld, u->name, label);
                if (r < 0)
                        return r;
        }
        if (s)
                sysd_refresh(s); /* the next form offers what exists then */
        *ret = TAKE_PTR(f);
        return 0;
}

bool sysd_command_available(const void *cfg)
{
        const struct sysd_command *cmd = cfg;

        return cmd->cfg->link->state != NULL;
}
