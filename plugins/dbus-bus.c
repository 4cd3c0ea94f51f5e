/* SPDX-License-Identifier: MIT */
/*
 * Bus connections shared by every dbus: command using the same bus, on the agent's sd-event
 * loop. Nothing here blocks: connecting, matches and introspection are all asynchronous.
 *
 * A connection that fails or drops is retried with exponential backoff; meanwhile
 * dbus_bus_get_sd() returns NULL and commands answer "bus unavailable". sd-bus fails every
 * pending call ("Connection terminated") before it reports the disconnection, so no caller
 * is left waiting.
 *
 * Introspection data is cached per destination and object path. Each destination is watched
 * with a NameOwnerChanged match (arg0=name) added before its first Introspect call: the bus
 * handles one connection's messages in order, so no owner change can slip between the two.
 * When the owner changes, the data is dropped and read again by the next call.
 */
#include "dbus.h"
#include "log.h"

#define BACKOFF_FIRST (100 * USEC_PER_MSEC)
#define BACKOFF_MAX   (30 * USEC_PER_SEC)

#define ERROR_BAD_INTROSPECTION "org.adhocd.Error.BadIntrospection"

struct dbus_name;

struct dbus_intro_entry {
        struct dbus_bus *bus;
        struct dbus_name *name; /* NULL once orphaned: served to its waiters, then freed */
        char *path;
        sd_bus_slot *slot;                /* the pending Introspect call */
        struct dbus_introspection *intro; /* set once known */
        struct dbus_waiter *waiters;
        struct dbus_intro_entry *prev, *next;
};

struct dbus_name {
        struct dbus_bus *bus;
        char *name;
        sd_bus_slot *match;
        bool unwatched; /* the match could not be added: cache nothing */
        struct dbus_intro_entry *entries;
        struct dbus_name *next;
};

struct dbus_bus {
        unsigned n_ref;
        char *spec;
        sd_event *event;
        sd_bus *bus;
        sd_bus_slot *filter;
        bool dead; /* disconnected, waiting for the retry timer */
        sd_event_source *retry;
        usec_t backoff;    /* before the next attempt; 0 once connected */
        unsigned failures; /* attempts failed in a row */
        struct dbus_name *names;
        struct dbus_intro_entry *orphans;
        unsigned owner_changes;
        bool registered;
        struct dbus_bus_watch *watches; /* told when the connection opens and is lost */
        struct dbus_bus *next;
};

/* Connections in use, by (event, spec). */
static struct dbus_bus *buses;

/* ---- Introspection entries ---- */

static void entry_unlink(struct dbus_intro_entry *e)
{
        struct dbus_intro_entry **head = e->name ? &e->name->entries : &e->bus->orphans;

        if (e->prev)
                e->prev->next = e->next;
        else if (*head == e)
                *head = e->next;
        if (e->next)
                e->next->prev = e->prev;
        e->prev = e->next = NULL;
}

static void entry_link(struct dbus_intro_entry *e, struct dbus_intro_entry **head)
{
        e->prev = NULL;
        e->next = *head;
        if (*head)
                (*head)->prev = e;
        *head = e;
}

/* Frees an unlinked entry. Waiters still attached are detached without being called. */
static void entry_free(struct dbus_intro_entry *e)
{
        struct dbus_waiter *w;

        while ((w = e->waiters)) {
                e->waiters = w->next;
                w->entry = NULL;
                w->prev = w->next = NULL;
        }
        sd_bus_slot_unref(e->slot);
        dbus_introspection_free(e->intro);
        free(e->path);
        free(e);
}

/* Calls the waiters one at a time: a callback may cancel other waiters or add new ones. */
static void entry_dispatch(struct dbus_intro_entry *e, const char *error_name,
                           const char *error_message)
{
        struct dbus_waiter *w;

        while ((w = e->waiters)) {
                e->waiters = w->next;
                if (w->next)
                        w->next->prev = NULL;
                w->entry = NULL;
                w->prev = w->next = NULL;
                w->cb(w, e->intro, error_name, error_message);
        }
}

static void entry_orphan(struct dbus_intro_entry *e)
{
        entry_unlink(e);
        e->name = NULL;
        entry_link(e, &e->bus->orphans);
}

/* Drops what is known about a name: cached data now, pending data once served. */
static void name_forget(struct dbus_name *n)
{
        struct dbus_intro_entry *e;

        while ((e = n->entries)) {
                if (e->slot) {
                        entry_orphan(e);
                        continue;
                }
                entry_unlink(e);
                entry_free(e);
        }
}

static struct dbus_name *name_free(struct dbus_name *n)
{
        struct dbus_intro_entry *e;

        while ((e = n->entries)) {
                entry_unlink(e);
                entry_free(e);
        }
        sd_bus_slot_unref(n->match);
        free(n->name);
        free(n);
        return NULL;
}

static int on_introspect_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        struct dbus_intro_entry *e = userdata;
        const sd_bus_error *err = sd_bus_message_get_error(m);
        const char *xml = NULL;
        int r;

        e->slot = sd_bus_slot_unref(e->slot);
        if (!err) {
                r = sd_bus_message_read(m, "s", &xml);
                if (r >= 0)
                        r = dbus_introspection_parse(xml, &e->intro);
                if (r < 0)
                        log_warning_errno(r, "Introspection data of %s is unusable: %m", e->path);
        }
        if (e->intro && e->name && !e->name->unwatched) {
                /* Known now: later callers get it at once, even from inside the callbacks. */
                entry_dispatch(e, NULL, NULL);
                return 0;
        }
        entry_unlink(e);
        if (err)
                entry_dispatch(e, err->name, err->message);
        else if (e->intro)
                entry_dispatch(e, NULL, NULL);
        else
                entry_dispatch(e, ERROR_BAD_INTROSPECTION, "the introspection data cannot be read");
        entry_free(e);
        return 0;
}

static int entry_new(struct dbus_bus *b, struct dbus_name *n, const char *path, usec_t timeout,
                     struct dbus_intro_entry **ret)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        struct dbus_intro_entry *e;
        int r;

        r = sd_bus_message_new_method_call(b->bus, &m, n->name, path,
                                           "org.freedesktop.DBus.Introspectable", "Introspect");
        if (r < 0)
                return r;
        e = zalloc(sizeof(*e));
        if (!e)
                return -ENOMEM;
        e->bus = b;
        e->name = n;
        e->path = strdup(path);
        if (!e->path) {
                free(e);
                return -ENOMEM;
        }
        r = sd_bus_call_async(b->bus, &e->slot, m, on_introspect_reply, e, timeout);
        if (r < 0) {
                entry_free(e);
                return r;
        }
        entry_link(e, &n->entries);
        *ret = e;
        return 0;
}

/* ---- Watched names ---- */

static int on_name_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        struct dbus_name *n = userdata;
        const char *name, *old_owner, *new_owner;

        if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 ||
            !streq(name, n->name))
                return 0;
        log_debug("%s changed owner ('%s' -> '%s'): its introspection is read again", name,
                  old_owner, new_owner);
        name_forget(n);
        n->bus->owner_changes++;
        return 0;
}

static int on_match_added(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        struct dbus_name *n = userdata;
        const sd_bus_error *err = sd_bus_message_get_error(m);

        if (!err)
                return 0;
        /* Without the match, owner changes go unseen: cache nothing for this name. A lost
         * connection is reported once, by on_message(). */
        if (!sd_bus_error_has_name(err, SD_BUS_ERROR_NO_REPLY))
                log_warning("Cannot watch %s on the %s bus (%s: %s); its introspection is not "
                            "cached",
                            n->name, n->bus->spec, err->name, strempty(err->message));
        n->unwatched = true;
        name_forget(n);
        return 0;
}

static int name_add(struct dbus_bus *b, const char *name, struct dbus_name **ret)
{
        _cleanup_free_ char *rule = NULL;
        struct dbus_name *n;
        int r;

        for (n = b->names; n; n = n->next)
                if (streq(n->name, name)) {
                        *ret = n;
                        return 0;
                }
        /* Names are checked by the policy loader: they need no quoting in a rule. */
        if (asprintf(&rule,
                     "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
                     "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='%s'",
                     name) < 0)
                return -ENOMEM;
        n = zalloc(sizeof(*n));
        if (!n || !(n->name = strdup(name))) {
                free(n);
                return -ENOMEM;
        }
        n->bus = b;
        r = sd_bus_add_match_async(b->bus, &n->match, rule, on_name_owner_changed, on_match_added,
                                   n);
        if (r < 0) {
                name_free(n);
                return r;
        }
        n->next = b->names;
        b->names = n;
        *ret = n;
        return 0;
}

/* ---- Connection ---- */

/* One at a time, from a copy of the next pointer: a callback may remove its own watch. */
static void watches_opened(struct dbus_bus *b)
{
        for (struct dbus_bus_watch *w = b->watches, *next; w; w = next) {
                next = w->next;
                w->opened(w, b->bus);
        }
}

static void watches_lost(struct dbus_bus *b)
{
        for (struct dbus_bus_watch *w = b->watches, *next; w; w = next) {
                next = w->next;
                w->lost(w);
        }
}

static void bus_close(struct dbus_bus *b)
{
        struct dbus_intro_entry *e;

        /* Closed while working (shutdown): watchers drop what they hold on this connection. */
        if (b->bus && !b->dead)
                watches_lost(b);

        while (b->names) {
                struct dbus_name *n = b->names;

                b->names = n->next;
                name_free(n);
        }
        while ((e = b->orphans)) {
                entry_unlink(e);
                entry_free(e);
        }
        b->filter = sd_bus_slot_unref(b->filter);
        if (b->bus) {
                (void)sd_bus_detach_event(b->bus);
                /* Not sd_bus_flush_close_unref(): flushing blocks. */
                b->bus = sd_bus_close_unref(b->bus);
        }
        b->dead = false;
}

static int bus_connect(struct dbus_bus *b);

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct dbus_bus *b = userdata;

        b->retry = sd_event_source_unref(b->retry);
        bus_close(b);
        (void)bus_connect(b);
        return 0;
}

static void bus_schedule_retry(struct dbus_bus *b)
{
        int r;

        b->backoff = b->backoff ? b->backoff * 2 : BACKOFF_FIRST;
        if (b->backoff > BACKOFF_MAX)
                b->backoff = BACKOFF_MAX;
        b->retry = sd_event_source_disable_unref(b->retry);
        r = sd_event_add_time_relative(b->event, &b->retry, CLOCK_MONOTONIC, b->backoff, 0,
                                       on_retry, b);
        if (r < 0)
                log_error_errno(r, "Cannot schedule reconnecting to the %s bus: %m", b->spec);
}

/* Sees every incoming message: notices the connection working, and its end. */
static int on_message(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        struct dbus_bus *b = userdata;

        if (sd_bus_message_is_signal(m, "org.freedesktop.DBus.Local", "Disconnected")) {
                if (b->failures++ == 0)
                        log_warning("Lost the connection to the %s bus; reconnecting", b->spec);
                /* Closing waits for the timer: sd-bus is still dispatching this message. */
                b->dead = true;
                watches_lost(b);
                bus_schedule_retry(b);
                return 0;
        }
        if (b->backoff > 0 && sd_bus_is_ready(b->bus) > 0) {
                if (b->failures > 0)
                        log_info("Connected to the %s bus again", b->spec);
                b->backoff = 0;
                b->failures = 0;
        }
        return 0;
}

static int bus_open(const char *spec, sd_bus **ret)
{
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        int r;

        if (streq(spec, "session"))
                return sd_bus_open_user_with_description(ret, "adhocd");
        if (streq(spec, "system"))
                return sd_bus_open_system_with_description(ret, "adhocd");
        r = sd_bus_new(&bus);
        if (r < 0)
                return r;
        r = sd_bus_set_address(bus, spec);
        if (r < 0)
                return r;
        r = sd_bus_set_bus_client(bus, true);
        if (r < 0)
                return r;
        (void)sd_bus_set_description(bus, "adhocd");
        r = sd_bus_start(bus);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(bus);
        return 0;
}

static int bus_connect(struct dbus_bus *b)
{
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        int r;

        /* Opening starts a non-blocking connect; authentication and Hello follow on the loop,
         * and calls made meanwhile are queued. */
        r = bus_open(b->spec, &bus);
        if (r >= 0)
                r = sd_bus_set_close_on_exit(bus, false); /* it would flush, which blocks */
        if (r >= 0)
                r = sd_bus_attach_event(bus, b->event, SD_EVENT_PRIORITY_NORMAL);
        if (r >= 0)
                r = sd_bus_add_filter(bus, &b->filter, on_message, b);
        if (r < 0) {
                b->filter = sd_bus_slot_unref(b->filter);
                /* Once, and then at the slowest pace only. */
                if (b->failures++ == 0 || b->backoff == BACKOFF_MAX)
                        log_warning_errno(r, "Cannot connect to the %s bus, retrying: %m", b->spec);
                bus_schedule_retry(b);
                return r;
        }
        b->bus = TAKE_PTR(bus);
        watches_opened(b);
        return 0;
}

int dbus_bus_get(sd_event *event, const char *spec, struct dbus_bus **ret)
{
        struct dbus_bus *b;

        for (b = buses; b; b = b->next)
                if (b->event == event && streq(b->spec, spec)) {
                        *ret = dbus_bus_ref(b);
                        return 0;
                }
        b = zalloc(sizeof(*b));
        if (!b)
                return -ENOMEM;
        b->spec = strdup(spec);
        if (!b->spec) {
                free(b);
                return -ENOMEM;
        }
        b->n_ref = 2; /* the registry's and the caller's */
        b->event = sd_event_ref(event);
        b->registered = true;
        b->next = buses;
        buses = b;
        (void)bus_connect(b);
        *ret = b;
        return 0;
}

struct dbus_bus *dbus_bus_ref(struct dbus_bus *b)
{
        if (b)
                b->n_ref++;
        return b;
}

struct dbus_bus *dbus_bus_unref(struct dbus_bus *b)
{
        if (!b || --b->n_ref > 0)
                return NULL;
        bus_close(b);
        sd_event_source_disable_unref(b->retry);
        sd_event_unref(b->event);
        free(b->spec);
        free(b);
        return NULL;
}

sd_bus *dbus_bus_get_sd(struct dbus_bus *b)
{
        if (!b->bus || b->dead || !sd_bus_is_open(b->bus))
                return NULL;
        return b->bus;
}

int dbus_bus_introspect(struct dbus_bus *b, const char *destination, const char *path,
                        usec_t timeout, struct dbus_waiter *w,
                        const struct dbus_introspection **ret)
{
        struct dbus_intro_entry *e;
        struct dbus_name *n;
        int r;

        if (!dbus_bus_get_sd(b))
                return -ENOTCONN;
        r = name_add(b, destination, &n);
        if (r < 0)
                return r;
        for (e = n->entries; e; e = e->next)
                if (streq(e->path, path))
                        break;
        if (e && e->intro) {
                *ret = e->intro;
                return 1;
        }
        if (!e) {
                r = entry_new(b, n, path, timeout, &e);
                if (r < 0)
                        return r;
        }
        w->entry = e;
        w->prev = NULL;
        w->next = e->waiters;
        if (e->waiters)
                e->waiters->prev = w;
        e->waiters = w;
        return 0;
}

void dbus_waiter_cancel(struct dbus_waiter *w)
{
        if (!w->entry)
                return;
        if (w->prev)
                w->prev->next = w->next;
        else
                w->entry->waiters = w->next;
        if (w->next)
                w->next->prev = w->prev;
        w->entry = NULL;
        w->prev = w->next = NULL;
}

void dbus_bus_watch_add(struct dbus_bus *b, struct dbus_bus_watch *w)
{
        w->bus = b;
        w->prev = NULL;
        w->next = b->watches;
        if (b->watches)
                b->watches->prev = w;
        b->watches = w;
        if (dbus_bus_get_sd(b))
                w->opened(w, b->bus);
}

void dbus_bus_watch_remove(struct dbus_bus_watch *w)
{
        if (!w->bus)
                return;
        if (w->prev)
                w->prev->next = w->next;
        else
                w->bus->watches = w->next;
        if (w->next)
                w->next->prev = w->prev;
        w->bus = NULL;
        w->prev = w->next = NULL;
}

unsigned dbus_bus_owner_changes(const struct dbus_bus *b)
{
        return b->owner_changes;
}

void dbus_buses_shutdown(void)
{
        while (buses) {
                struct dbus_bus *b = buses;

                buses = b->next;
                b->registered = false;
                bus_close(b);
                b->retry = sd_event_source_disable_unref(b->retry);
                dbus_bus_unref(b);
        }
}
