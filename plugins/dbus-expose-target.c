/* SPDX-License-Identifier: MIT */
/*
 * dbus_expose targets: what is known of one interface of one object of one destination. The
 * destination's owner is watched (NameOwnerChanged, then GetNameOwner) and each new owner is
 * introspected through the cache of dbus-bus.c. Nothing is started before a command is looked at.
 */
#include "dbus-expose.h"
#include "log.h"

#define RETRY_AFTER (30 * USEC_PER_SEC) /* a failed introspection is tried again after this */

/* Targets in use, shared by every command (and policy, across reloads) naming the same one. */
static struct expose_target *targets;

static void methods_forget(struct expose_target *t)
{
        for (size_t i = 0; i < t->n_methods; i++) {
                free(t->methods[i].name);
                free(t->methods[i].in_signature);
                strv_free(t->methods[i].in_names);
        }
        free(t->methods);
        t->methods = NULL;
        t->n_methods = 0;
        t->known = false;
        t->failed = false;
        t->generation++;
}

/* Forgets the owner and everything learnt from it. */
static void target_forget(struct expose_target *t)
{
        dbus_waiter_cancel(&t->waiter);
        t->kick = sd_event_source_disable_unref(t->kick);
        methods_forget(t);
        t->owner = OWNER_UNKNOWN;
        free(t->owner_name);
        t->owner_name = NULL;
}

static void target_unwatch(struct expose_target *t)
{
        t->match = sd_bus_slot_unref(t->match);
        t->owner_call = sd_bus_slot_unref(t->owner_call);
        t->watched = sd_bus_unref(t->watched);
        target_forget(t);
}

/* Lets go of the bus and the loop; the target can attach again later. */
static void target_detach(struct expose_target *t)
{
        target_unwatch(t);
        t->bus = dbus_bus_unref(t->bus);
        t->event = sd_event_unref(t->event);
}

struct expose_target *expose_target_unref(struct expose_target *t)
{
        if (!t || --t->n_ref > 0)
                return NULL;
        for (struct expose_target **p = &targets; *p; p = &(*p)->next)
                if (*p == t) {
                        *p = t->next;
                        break;
                }
        target_detach(t);
        free(t->bus_spec);
        free(t->destination);
        free(t->path);
        free(t->interface);
        free(t);
        return NULL;
}

int expose_target_get(const struct expose_config *c, struct expose_target **ret)
{
        struct expose_target *t;

        for (t = targets; t; t = t->next)
                if (streq(t->bus_spec, c->bus) && streq(t->destination, c->destination) &&
                    streq(t->path, c->path) && streq(t->interface, c->interface)) {
                        t->n_ref++;
                        *ret = t;
                        return 0;
                }
        t = zalloc(sizeof(*t));
        if (!t)
                return -ENOMEM;
        t->n_ref = 1;
        t->timeout = c->timeout;
        t->bus_spec = strdup(c->bus);
        t->destination = strdup(c->destination);
        t->path = strdup(c->path);
        t->interface = strdup(c->interface);
        if (!t->bus_spec || !t->destination || !t->path || !t->interface) {
                expose_target_unref(t);
                return -ENOMEM;
        }
        t->next = targets;
        targets = t;
        *ret = t;
        return 0;
}

static int methods_copy(struct expose_target *t, const struct dbus_iinterface *iface)
{
        if (!iface || iface->n_methods == 0)
                return 0;
        t->methods = calloc(iface->n_methods, sizeof(*t->methods));
        if (!t->methods)
                return -ENOMEM;
        for (size_t i = 0; i < iface->n_methods; i++) {
                const struct dbus_imethod *m = &iface->methods[i];
                struct expose_method_info *info = &t->methods[t->n_methods++];

                info->name = strdup(m->name);
                info->in_signature = strdup(m->in_signature);
                info->in_names = strv_copy(m->in_names);
                if (!info->name || !info->in_signature || !info->in_names)
                        return -ENOMEM;
        }
        return 0;
}

static void target_learn(struct expose_target *t, const struct dbus_introspection *intro)
{
        const struct dbus_iinterface *iface =
            dbus_introspection_find_interface(intro, t->interface);

        methods_forget(t);
        if (methods_copy(t, iface) < 0) {
                log_error("dbus_expose: out of memory");
                methods_forget(t);
                t->failed = true;
                return;
        }
        t->known = true;
        log_debug("dbus_expose: %s has %zu method(s) in %s at %s", t->destination, t->n_methods,
                  t->interface, t->path);
}

static void on_introspected(struct dbus_waiter *w, const struct dbus_introspection *intro,
                            const char *error_name, const char *error_message)
{
        struct expose_target *t =
            (struct expose_target *)((char *)w - offsetof(struct expose_target, waiter));

        if (intro) {
                target_learn(t, intro);
                return;
        }
        /* Gone meanwhile, or the connection dropped: the watch sees to both. */
        if (streq_ptr(error_name, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
            streq_ptr(error_name, SD_BUS_ERROR_NAME_HAS_NO_OWNER) ||
            streq_ptr(error_name, SD_BUS_ERROR_DISCONNECTED))
                return;
        log_warning("dbus_expose: cannot introspect %s at %s (%s: %s); its commands stay hidden "
                    "for now",
                    t->destination, t->path, strempty(error_name), strempty(error_message));
        t->failed = true;
        t->failed_at = now_usec(CLOCK_MONOTONIC);
}

static void target_introspect(struct expose_target *t)
{
        const struct dbus_introspection *intro = NULL;
        int r;

        t->waiter.cb = on_introspected;
        r = dbus_bus_introspect(t->bus, t->destination, t->path, t->timeout, &t->waiter, &intro);
        if (r > 0)
                target_learn(t, intro);
        else if (r < 0 && r != -ENOTCONN) {
                log_warning_errno(r, "dbus_expose: cannot introspect %s: %m", t->destination);
                t->failed = true;
                t->failed_at = now_usec(CLOCK_MONOTONIC);
        }
}

static int on_kick(sd_event_source *s, void *userdata)
{
        struct expose_target *t = userdata;

        t->kick = sd_event_source_disable_unref(t->kick);
        if (t->owner == OWNER_PRESENT && !t->known && !t->failed && !t->waiter.entry)
                target_introspect(t);
        return 0;
}

static void target_set_owner(struct expose_target *t, const char *owner)
{
        bool present = !isempty(owner);
        int r;

        if (t->owner == (present ? OWNER_PRESENT : OWNER_ABSENT) &&
            streq_ptr(t->owner_name, present ? owner : NULL))
                return;
        target_forget(t);
        t->owner = present ? OWNER_PRESENT : OWNER_ABSENT;
        log_debug("dbus_expose: %s is %s", t->destination, present ? owner : "absent");
        if (!present)
                return;
        t->owner_name = strdup(owner);
        if (!t->owner_name) {
                log_error("dbus_expose: out of memory");
                t->failed = true;
                return;
        }
        /* Not now: the cache of dbus-bus.c may not have seen this change yet. */
        r = sd_event_add_defer(t->event, &t->kick, on_kick, t);
        if (r < 0)
                target_introspect(t);
}

static int on_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        struct expose_target *t = userdata;
        const char *name, *old_owner, *new_owner;

        if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 ||
            !streq(name, t->destination))
                return 0;
        target_set_owner(t, new_owner);
        return 0;
}

static int on_match_added(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        struct expose_target *t = userdata;
        const sd_bus_error *err = sd_bus_message_get_error(m);

        if (!err)
                return 0;
        /* Unseen owner changes would leave commands stale: start over at the next look. */
        if (!sd_bus_error_has_name(err, SD_BUS_ERROR_NO_REPLY))
                log_warning("dbus_expose: cannot watch %s on the %s bus (%s: %s)", t->destination,
                            t->bus_spec, err->name, strempty(err->message));
        target_unwatch(t);
        return 0;
}

static int on_owner_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        struct expose_target *t = userdata;
        const sd_bus_error *err = sd_bus_message_get_error(m);
        const char *owner = NULL;

        t->owner_call = sd_bus_slot_unref(t->owner_call);
        if (err && sd_bus_error_has_name(err, SD_BUS_ERROR_NAME_HAS_NO_OWNER)) {
                target_set_owner(t, NULL);
                return 0;
        }
        if (err || sd_bus_message_read(m, "s", &owner) < 0) {
                target_unwatch(t);
                return 0;
        }
        target_set_owner(t, owner);
        return 0;
}

/* The match goes first: the bus answers in order, so no owner change can slip in between. */
static int target_watch(struct expose_target *t, sd_bus *bus)
{
        _cleanup_free_ char *rule = NULL;
        int r;

        /* Names are checked by the policy loader: they need no quoting in a rule. */
        if (asprintf(&rule,
                     "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
                     "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='%s'",
                     t->destination) < 0)
                return -ENOMEM;
        t->watched = sd_bus_ref(bus);
        r = sd_bus_add_match_async(bus, &t->match, rule, on_owner_changed, on_match_added, t);
        if (r < 0)
                return r;
        return sd_bus_call_method_async(bus, &t->owner_call, "org.freedesktop.DBus",
                                        "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                        "GetNameOwner", on_owner_reply, t, "s", t->destination);
}

void expose_target_refresh(struct expose_target *t)
{
        sd_bus *bus;
        int r;

        /* available() is handed no loop: the agent runs on the thread's default one (main.c). */
        if (!t->event && sd_event_default(&t->event) < 0)
                return;
        if (!t->bus && dbus_bus_get(t->event, t->bus_spec, &t->bus) < 0)
                return;
        bus = dbus_bus_get_sd(t->bus);
        if (bus != t->watched) {
                /* Reconnected (or lost): nothing learnt on the old connection holds. */
                target_unwatch(t);
                if (!bus)
                        return;
                r = target_watch(t, bus);
                if (r < 0) {
                        log_warning_errno(r, "dbus_expose: cannot watch %s: %m", t->destination);
                        target_unwatch(t);
                }
                return;
        }
        if (t->failed && now_usec(CLOCK_MONOTONIC) - t->failed_at >= RETRY_AFTER)
                t->failed = false;
        if (t->owner == OWNER_PRESENT && !t->known && !t->failed && !t->waiter.entry && !t->kick)
                target_introspect(t);
}

const struct expose_method_info *expose_target_find(const struct expose_target *t, const char *name)
{
        if (t->owner != OWNER_PRESENT || !t->known)
                return NULL;
        for (size_t i = 0; i < t->n_methods; i++)
                if (streq(t->methods[i].name, name))
                        return &t->methods[i];
        return NULL;
}

void expose_targets_detach(void)
{
        for (struct expose_target *t = targets; t; t = t->next)
                target_detach(t);
}
