/* SPDX-License-Identifier: MIT */
/*
 * The unit a request acts on: LoadUnit(name) gives its object, loading the unit from its
 * file when systemd has not loaded it (a stopped, disabled service usually is not: GetUnit
 * would fail for it); then its Id property, the name systemd resolved it to. An alias or a
 * template instance may stand for a unit outside the allow-list, so the Id is checked
 * against it again before anything else is called.
 */
#include <stdio.h>

#include "log.h"
#include "systemd-internal.h"

void sysd_request_finish_dbus_error(struct sysd_request *req, const sd_bus_error *e)
{
        _cleanup_free_ char *text = sysd_error_text(req->resolved ? req->resolved : req->unit,
                                                    req->verb, e, req->call->lang);

        sysd_request_finish_note(req, text ? 0 : -ENOMEM, NOTE_ERROR, text);
}

void sysd_request_finish_down(struct sysd_request *req)
{
        sysd_request_finish_note(
            req, 0, NOTE_ERROR,
            l10n(req->call->lang, "The D-Bus connection to systemd is down; try again shortly."));
}

static void refuse_resolved(struct sysd_request *req)
{
        _cleanup_free_ char *shown = sysd_text_clean(req->resolved, 255);
        _cleanup_free_ char *text = NULL;

        log_warning("systemd: %s resolves to %s, outside units:; refused", req->unit,
                    shown ? shown : "?");
        if (asprintf(&text,
                     l10n(req->call->lang,
                          "%s is %s, which is not in the allowed units; nothing was done."),
                     req->unit, shown ? shown : l10n(req->call->lang, "another unit")) < 0)
                text = NULL;
        sysd_request_finish_note(req, text ? -EPERM : -ENOMEM, NOTE_ERROR, text);
}

static int on_id(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        struct sysd_request *req = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        const char *id;

        req->slot = sd_bus_slot_unref(req->slot);
        if (e) {
                sysd_request_finish_dbus_error(req, e);
                return 0;
        }
        if (sd_bus_message_read(reply, "v", "s", &id) < 0 || !(req->resolved = strdup(id))) {
                sysd_request_finish_note(req, 0, NOTE_ERROR,
                                         l10n(req->call->lang, "systemd gave an unreadable unit."));
                return 0;
        }
        if (!sysd_config_allows_unit(req->s->cfg, req->resolved)) {
                refuse_resolved(req);
                return 0;
        }
        req->resolved_cb(req);
        return 0;
}

static int on_loaded(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        struct sysd_request *req = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        const char *path;
        int r;

        req->slot = sd_bus_slot_unref(req->slot);
        if (e) {
                sysd_request_finish_dbus_error(req, e);
                return 0;
        }
        if (sd_bus_message_read(reply, "o", &path) < 0 || !(req->unit_path = strdup(path))) {
                sysd_request_finish_note(req, 0, NOTE_ERROR,
                                         l10n(req->call->lang, "systemd gave an unreadable unit."));
                return 0;
        }
        r = sysd_method_new(req->s, req->unit_path, "org.freedesktop.DBus.Properties", "Get", &m);
        if (r >= 0)
                r = sd_bus_message_append(m, "ss", SYSD_UNIT, "Id");
        if (r >= 0)
                r = sysd_call(req->s, m, &req->slot, on_id, req);
        if (r < 0)
                sysd_request_finish_down(req);
        return 0;
}

void sysd_request_resolve(struct sysd_request *req)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = sysd_method_new(req->s, SYSD_PATH, SYSD_MANAGER, "LoadUnit", &m);
        if (r >= 0)
                r = sd_bus_message_append(m, "s", req->unit);
        if (r >= 0)
                r = sysd_call(req->s, m, &req->slot, on_loaded, req);
        if (r < 0)
                sysd_request_finish_down(req);
}
