/* SPDX-License-Identifier: MIT */
/*
 * The connection to systemd. On each (re)connection: matches for JobRemoved, UnitNew,
 * UnitRemoved and Reloading, then Subscribe() (systemd sends those signals only to
 * subscribers), then a listing of the allowed units. The forms are built synchronously when a
 * stage is shown, so they offer the units of this cache; it is listed again when units come
 * and go, after every job, and each time a form is shown (listing.c: the loaded units and the
 * unit files, each name checked against the allow-list again).
 */
#include <stddef.h>

#include "log.h"
#include "systemd-internal.h"

#define MANAGER_SIGNAL(member)                                                                     \
        "type='signal',sender='" SYSD_SERVICE "',path='" SYSD_PATH "',interface='" SYSD_MANAGER    \
        "',member='" member "'"

/* ---- Units ---- */

const struct sysd_unit *sysd_find_unit(const struct sysd *s, const char *name)
{
        for (size_t i = 0; name && i < s->n_units; i++)
                if (streq(s->units[i].name, name))
                        return &s->units[i];
        return NULL;
}

/* ---- Calls ---- */

int sysd_method_new(struct sysd *s, const char *path, const char *interface, const char *member,
                    sd_bus_message **ret)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        if (!s->sd)
                return -ENOTCONN;
        r = sd_bus_message_new_method_call(s->sd, &m, SYSD_SERVICE, path, interface, member);
        if (r < 0)
                return r;
        /* Never: a polkit dialog nobody sees would only make the call wait. */
        r = sd_bus_message_set_allow_interactive_authorization(m, false);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

int sysd_call(struct sysd *s, sd_bus_message *msg, sd_bus_slot **ret_slot,
              sd_bus_message_handler_t cb, void *userdata)
{
        if (!s->sd)
                return -ENOTCONN;
        return sd_bus_call_async(s->sd, ret_slot, msg, cb, userdata, SYSD_CALL_TIMEOUT);
}

/* ---- The cache ---- */

static void on_refreshed(struct sysd_listing *l, const sd_bus_error *e, struct sysd_unit *units,
                         size_t n)
{
        struct sysd *s = (struct sysd *)((char *)l - offsetof(struct sysd, refresh));

        if (e) {
                log_warning("systemd: cannot list the units: %s: %s", strempty(e->name),
                            strempty(e->message));
        } else {
                sysd_units_free(s->units, s->n_units);
                s->units = units;
                s->n_units = n;
                log_debug("systemd: %zu allowed unit(s) exist", n);
        }
        if (s->refresh_again) {
                s->refresh_again = false;
                sysd_refresh(s);
        }
}

void sysd_refresh(struct sysd *s)
{
        int r;

        if (!s->sd)
                return;
        /* One listing at a time; a request meanwhile lists once more afterwards. */
        if (s->refresh.slot) {
                s->refresh_again = true;
                return;
        }
        s->refresh.done = on_refreshed;
        r = sysd_list_units(s, &s->refresh);
        if (r < 0)
                log_warning_errno(r, "systemd: cannot list the units: %m");
}

/* ---- Jobs ---- */

static void remember_removed(struct sysd *s, const char *path, const char *result)
{
        size_t i = s->removed_next++ % ELEMENTSOF(s->removed);

        free(s->removed[i].path);
        free(s->removed[i].result);
        s->removed[i].path = strdup(path);
        s->removed[i].result = strdup(result);
}

int sysd_job_wait_add(struct sysd *s, struct sysd_job_wait *w, const char *job_path,
                      const char **ret_result)
{
        for (size_t i = 0; i < ELEMENTSOF(s->removed); i++)
                if (s->removed[i].path && s->removed[i].result &&
                    streq(s->removed[i].path, job_path)) {
                        *ret_result = s->removed[i].result;
                        return 1;
                }
        w->job_path = strdup(job_path);
        if (!w->job_path)
                return -ENOMEM;
        w->prev = NULL;
        w->next = s->waits;
        if (s->waits)
                s->waits->prev = w;
        s->waits = w;
        return 0;
}

static void wait_unlink(struct sysd *s, struct sysd_job_wait *w)
{
        if (w->prev)
                w->prev->next = w->next;
        else if (s->waits == w)
                s->waits = w->next;
        if (w->next)
                w->next->prev = w->prev;
        w->prev = w->next = NULL;
        w->job_path = (free(w->job_path), NULL);
}

void sysd_job_wait_remove(struct sysd *s, struct sysd_job_wait *w)
{
        if (w->job_path)
                wait_unlink(s, w);
}

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        struct sysd *s = userdata;
        const char *path, *unit, *result;
        uint32_t id;

        if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0)
                return 0;
        remember_removed(s, path, result);
        for (struct sysd_job_wait *w = s->waits; w; w = w->next)
                if (streq(w->job_path, path)) {
                        /* Unlinked before the call: removed() may free w. */
                        wait_unlink(s, w);
                        w->removed(w, result);
                        break;
                }
        sysd_refresh(s);
        return 0;
}

static int on_units_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        sysd_refresh(userdata);
        return 0;
}

static int on_reloading(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        int active = 0;

        /* Reloading(false): the daemon-reload is over; units may have come or gone. */
        if (sd_bus_message_read(m, "b", &active) >= 0 && !active)
                sysd_refresh(userdata);
        return 0;
}

static int on_subscribed(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        struct sysd *s = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        s->subscribe_slot = sd_bus_slot_unref(s->subscribe_slot);
        /* Without it systemd sends no JobRemoved: jobs would only time out. */
        if (e && !sd_bus_error_has_name(e, "org.freedesktop.systemd1.AlreadySubscribed"))
                log_warning("systemd: Subscribe failed (%s: %s): job results will not be seen",
                            strempty(e->name), strempty(e->message));
        return 0;
}

static void drop_connection(struct sysd *s)
{
        s->job_match = sd_bus_slot_unref(s->job_match);
        s->new_match = sd_bus_slot_unref(s->new_match);
        s->removed_match = sd_bus_slot_unref(s->removed_match);
        s->reloading_match = sd_bus_slot_unref(s->reloading_match);
        s->subscribe_slot = sd_bus_slot_unref(s->subscribe_slot);
        sysd_listing_cancel(&s->refresh);
        s->refresh_again = false;
        s->sd = NULL;
}

static int subscribe(struct sysd *s)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = sysd_method_new(s, SYSD_PATH, SYSD_MANAGER, "Subscribe", &m);
        if (r < 0)
                return r;
        return sysd_call(s, m, &s->subscribe_slot, on_subscribed, s);
}

static void on_bus_opened(struct dbus_bus_watch *w, sd_bus *bus)
{
        struct sysd *s = (struct sysd *)((char *)w - offsetof(struct sysd, watch));
        int r;

        drop_connection(s);
        s->sd = bus;
        /* The matches first, so that no JobRemoved after Subscribe is missed. */
        r = sd_bus_add_match_async(bus, &s->job_match, MANAGER_SIGNAL("JobRemoved"), on_job_removed,
                                   NULL, s);
        if (r >= 0)
                r = sd_bus_add_match_async(bus, &s->new_match, MANAGER_SIGNAL("UnitNew"),
                                           on_units_changed, NULL, s);
        if (r >= 0)
                r = sd_bus_add_match_async(bus, &s->removed_match, MANAGER_SIGNAL("UnitRemoved"),
                                           on_units_changed, NULL, s);
        if (r >= 0)
                r = sd_bus_add_match_async(bus, &s->reloading_match, MANAGER_SIGNAL("Reloading"),
                                           on_reloading, NULL, s);
        if (r >= 0)
                r = subscribe(s);
        if (r < 0)
                log_error_errno(r, "systemd: cannot follow systemd on the %s bus: %m", s->cfg->bus);
        sysd_refresh(s);
}

static void on_bus_lost(struct dbus_bus_watch *w)
{
        struct sysd *s = (struct sysd *)((char *)w - offsetof(struct sysd, watch));

        drop_connection(s);
}

int sysd_new(sd_event *event, const struct sysd_config *cfg, struct sysd **ret)
{
        struct sysd *s = zalloc(sizeof(*s));
        int r;

        if (!s)
                return -ENOMEM;
        s->cfg = cfg;
        s->event = sd_event_ref(event);
        r = dbus_bus_get(event, cfg->bus, &s->bus);
        if (r < 0) {
                sysd_free(s);
                return r;
        }
        s->watch.opened = on_bus_opened;
        s->watch.lost = on_bus_lost;
        dbus_bus_watch_add(s->bus, &s->watch);
        *ret = s;
        return 0;
}

struct sysd *sysd_free(struct sysd *s)
{
        if (!s)
                return NULL;
        sysd_requests_abort(s);
        dbus_bus_watch_remove(&s->watch);
        drop_connection(s);
        dbus_bus_unref(s->bus);
        sysd_units_free(s->units, s->n_units);
        for (size_t i = 0; i < ELEMENTSOF(s->removed); i++) {
                free(s->removed[i].path);
                free(s->removed[i].result);
        }
        sd_event_unref(s->event);
        free(s);
        return NULL;
}
