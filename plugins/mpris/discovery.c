/* SPDX-License-Identifier: MIT */
/*
 * The players on the bus. On each (re)connection: matches for NameOwnerChanged in the MPRIS
 * namespace, PropertiesChanged and Seeked, then ListNames. The bus handles one connection's
 * messages in order, so a player starting between the matches and ListNames is seen by one or
 * the other (possibly both: adding is idempotent). Each player is read with two GetAll calls
 * and kept fresh by its signals, which are taken only from the unique name that owns it.
 *
 * A player becomes usable (ready) once its Player interface was read. Every call is
 * asynchronous with the configured timeout; the connection's loss drops every player, and the
 * next connection finds them again.
 */
#include <stddef.h>
#include <stdio.h>

#include "log.h"
#include "mpris-internal.h"

#define OWNER_RULE                                                                                 \
        "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"                \
        "interface='org.freedesktop.DBus',member='NameOwnerChanged',"                              \
        "arg0namespace='org.mpris.MediaPlayer2'"
#define PROPS_RULE                                                                                 \
        "type='signal',path='" MPRIS_PATH "',interface='org.freedesktop.DBus.Properties',"         \
        "member='PropertiesChanged'"
#define SEEKED_RULE                                                                                \
        "type='signal',path='" MPRIS_PATH "',interface='" MPRIS_IFACE_PLAYER "',member='Seeked'"

/* A player's id: a hash of its unique name and its bus name. The bus never gives a unique name
 * twice, so an old form's value never designates another player (a player that restarts gets
 * a new id), and a reload, which finds the same players again, keeps their ids. */
static void make_id(struct mpris_player *p)
{
        uint64_t h = 14695981039346656037ULL; /* FNV-1a */

        for (const char *s = p->owner; *s; s++)
                h = (h ^ (unsigned char)*s) * 1099511628211ULL;
        h = (h ^ '\n') * 1099511628211ULL;
        for (const char *s = p->name; *s; s++)
                h = (h ^ (unsigned char)*s) * 1099511628211ULL;
        snprintf(p->id, sizeof(p->id), "p%012llx", (unsigned long long)(h >> 16));
}

static usec_t now_mono(void)
{
        return now_usec(CLOCK_MONOTONIC);
}

/* ---- Calls ---- */

int mpris_method_new(struct mpris *m, const char *destination, const char *interface,
                     const char *member, sd_bus_message **ret)
{
        if (!m->sd)
                return -ENOTCONN;
        return sd_bus_message_new_method_call(
            m->sd, ret, destination,
            streq(destination, "org.freedesktop.DBus") ? "/org/freedesktop/DBus" : MPRIS_PATH,
            interface, member);
}

int mpris_call(struct mpris *m, sd_bus_message *msg, sd_bus_slot **ret_slot,
               sd_bus_message_handler_t cb, void *userdata)
{
        if (!m->sd)
                return -ENOTCONN;
        return sd_bus_call_async(m->sd, ret_slot, msg, cb, userdata, m->cfg->timeout);
}

/* ---- Lookups ---- */

struct mpris_player *mpris_find_player(const struct mpris *m, const char *id)
{
        for (struct mpris_player *p = m->players; p && id; p = p->next)
                if (p->ready && streq(p->id, id))
                        return p;
        return NULL;
}

struct mpris_player *mpris_find_player_by_name(const struct mpris *m, const char *name)
{
        for (struct mpris_player *p = m->players; p && name; p = p->next)
                if (p->ready && streq(p->name, name))
                        return p;
        return NULL;
}

static struct mpris_player *find_any(const struct mpris *m, const char *name)
{
        for (struct mpris_player *p = m->players; p; p = p->next)
                if (streq(p->name, name))
                        return p;
        return NULL;
}

/* The next player after p (the first when p is NULL) that owner owns: a program may own
 * several names. */
static struct mpris_player *next_of_owner(const struct mpris *m, struct mpris_player *p,
                                          const char *owner)
{
        for (p = p ? p->next : m->players; p && owner; p = p->next)
                if (streq_ptr(p->owner, owner))
                        return p;
        return NULL;
}

size_t mpris_n_players(const struct mpris *m)
{
        size_t n = 0;

        for (struct mpris_player *p = m->players; p; p = p->next)
                n += p->ready;
        return n;
}

struct mpris_player *mpris_current_player(const struct mpris *m)
{
        struct mpris_player *playing = NULL, *played = NULL, *first = NULL;

        for (struct mpris_player *p = m->players; p; p = p->next) {
                if (!p->ready)
                        continue;
                if (!first)
                        first = p;
                if (mpris_player_is_playing(p) &&
                    (!playing || p->playing_seq > playing->playing_seq))
                        playing = p;
                if (p->playing_seq > 0 && (!played || p->playing_seq > played->playing_seq))
                        played = p;
        }
        return playing ? playing : played ? played : first;
}

const char *mpris_gone_label(const struct mpris *m, const char *id)
{
        for (size_t i = 0; id && i < ELEMENTSOF(m->gone); i++)
                if (m->gone[i].label && streq(m->gone[i].id, id))
                        return m->gone[i].label;
        return NULL;
}

/* ---- Players ---- */

int mpris_player_update(struct mpris *m, struct mpris_player *p, const char *interface,
                        sd_bus_message *reply)
{
        bool was_playing = p->ready && mpris_player_is_playing(p);
        int r;

        r = mpris_player_apply(p, interface, reply, now_mono());
        if (r < 0)
                return r;
        /* When players last started or stopped playing decides the current one. */
        if (p->ready && was_playing != mpris_player_is_playing(p))
                p->playing_seq = ++m->seq;
        return 0;
}

static void player_remove(struct mpris *m, struct mpris_player *p)
{
        struct mpris_player **pp = &m->players;

        while (*pp && *pp != p)
                pp = &(*pp)->next;
        if (*pp)
                *pp = p->next;
        if (p->ready) {
                size_t i = m->gone_next++ % ELEMENTSOF(m->gone);

                log_info("mpris: %s (%s) is gone", p->name, p->id);
                free(m->gone[i].label);
                m->gone[i].label = strdup(mpris_player_label(p));
                memcpy(m->gone[i].id, p->id, sizeof(p->id));
        }
        mpris_player_free(p);
}

static int on_read(sd_bus_message *reply, struct mpris_player *p, const char *interface)
{
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        bool player = streq(interface, MPRIS_IFACE_PLAYER);
        int r;

        if (e) {
                /* A lost connection is reported once, by the bus; a player that quit is seen
                 * through NameOwnerChanged. */
                if (player && !sd_bus_error_has_name(e, SD_BUS_ERROR_NO_REPLY))
                        log_warning("mpris: cannot read %s (%s: %s); it is not offered", p->name,
                                    e->name, strempty(e->message));
                else if (player)
                        log_warning("mpris: %s did not answer; it is not offered", p->name);
                return 0;
        }
        /* Asked by its well-known name, answered by its unique name: signals are taken from
         * that one only. */
        if (!p->owner) {
                p->owner = strdup_or_null(sd_bus_message_get_sender(reply));
                if (!p->owner)
                        return log_error_errno(-ENOMEM, "mpris: out of memory");
        }
        r = mpris_player_update(p->m, p, interface, reply);
        if (r < 0) {
                log_warning_errno(r, "mpris: unreadable properties from %s: %m", p->name);
                return 0;
        }
        if (player && !p->ready) {
                make_id(p);
                p->ready = true;
                if (mpris_player_is_playing(p))
                        p->playing_seq = ++p->m->seq;
                log_info("mpris: %s (%s) is here as %s", p->name, p->id, mpris_player_label(p));
        }
        return 0;
}

static int on_read_root(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        struct mpris_player *p = userdata;

        p->read_root = sd_bus_slot_unref(p->read_root);
        return on_read(reply, p, MPRIS_IFACE_ROOT);
}

static int on_read_player(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        struct mpris_player *p = userdata;

        p->read_player = sd_bus_slot_unref(p->read_player);
        return on_read(reply, p, MPRIS_IFACE_PLAYER);
}

/* Reads every property of interface, unless a read is pending already. */
static int player_read(struct mpris *m, struct mpris_player *p, const char *interface)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = NULL;
        bool root = streq(interface, MPRIS_IFACE_ROOT);
        sd_bus_slot **slot = root ? &p->read_root : &p->read_player;
        int r;

        if (*slot)
                return 0;
        r = mpris_method_new(m, p->name, "org.freedesktop.DBus.Properties", "GetAll", &msg);
        if (r >= 0)
                r = sd_bus_message_append(msg, "s", interface);
        if (r >= 0)
                r = mpris_call(m, msg, slot, root ? on_read_root : on_read_player, p);
        return r;
}

static void player_add(struct mpris *m, const char *name, const char *owner)
{
        struct mpris_player *p, **tail;
        int r;

        if (find_any(m, name))
                return;
        r = mpris_player_new(name, owner, &p);
        if (r < 0) {
                log_error_errno(r, "mpris: cannot follow %s: %m", name);
                return;
        }
        p->m = m;
        for (tail = &m->players; *tail; tail = &(*tail)->next)
                ;
        *tail = p;
        r = player_read(m, p, MPRIS_IFACE_ROOT);
        if (r >= 0)
                r = player_read(m, p, MPRIS_IFACE_PLAYER);
        if (r < 0)
                log_warning_errno(r, "mpris: cannot read %s: %m", name);
}

/* ---- Signals ---- */

static int on_name_owner_changed(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error)
{
        struct mpris *m = userdata;
        const char *name, *old_owner, *new_owner;
        struct mpris_player *p;

        if (sd_bus_message_read(msg, "sss", &name, &old_owner, &new_owner) < 0)
                return 0;
        if (!mpris_config_wants_name(m->cfg, name))
                return 0;
        p = find_any(m, name);
        if (p && (isempty(new_owner) || !streq_ptr(p->owner, new_owner)))
                player_remove(m, p);
        else if (p)
                return 0;
        if (!isempty(new_owner))
                player_add(m, name, new_owner);
        return 0;
}

static void apply_changes(struct mpris *m, struct mpris_player *p, sd_bus_message *msg)
{
        const char *interface;
        int r;

        r = sd_bus_message_rewind(msg, true);
        if (r >= 0)
                r = sd_bus_message_read(msg, "s", &interface);
        if (r < 0)
                return;
        if (!streq(interface, MPRIS_IFACE_PLAYER) && !streq(interface, MPRIS_IFACE_ROOT))
                return;
        r = mpris_player_update(m, p, interface, msg);
        if (r < 0) {
                log_debug_errno(r, "mpris: unreadable PropertiesChanged from %s: %m", p->name);
                return;
        }
        /* Invalidated properties come without their values: read them again. */
        r = sd_bus_message_enter_container(msg, 'a', "s");
        if (r >= 0 && sd_bus_message_at_end(msg, false) == 0)
                (void)player_read(m, p, interface);
}

static int on_properties_changed(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error)
{
        struct mpris *m = userdata;
        const char *sender = sd_bus_message_get_sender(msg);

        for (struct mpris_player *p = next_of_owner(m, NULL, sender); p;
             p = next_of_owner(m, p, sender))
                apply_changes(m, p, msg);
        return 0;
}

static int on_seeked(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error)
{
        struct mpris *m = userdata;
        const char *sender = sd_bus_message_get_sender(msg);
        int64_t position;

        if (sd_bus_message_read(msg, "x", &position) < 0)
                return 0;
        for (struct mpris_player *p = next_of_owner(m, NULL, sender); p;
             p = next_of_owner(m, p, sender))
                mpris_player_seeked(p, position, now_mono());
        return 0;
}

static int on_list_names(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        struct mpris *m = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        const char *name;
        int r;

        m->list_slot = sd_bus_slot_unref(m->list_slot);
        if (e) {
                if (!sd_bus_error_has_name(e, SD_BUS_ERROR_NO_REPLY))
                        log_warning("mpris: cannot list the names on the %s bus (%s: %s)",
                                    m->cfg->bus, e->name, strempty(e->message));
                return 0;
        }
        r = sd_bus_message_enter_container(reply, 'a', "s");
        while (r >= 0 && (r = sd_bus_message_read(reply, "s", &name)) > 0)
                if (mpris_config_wants_name(m->cfg, name))
                        player_add(m, name, NULL);
        if (r < 0)
                log_warning_errno(r, "mpris: unreadable ListNames reply: %m");
        return 0;
}

static int on_match_added(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        struct mpris *m = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        if (e && !sd_bus_error_has_name(e, SD_BUS_ERROR_NO_REPLY))
                log_warning("mpris: cannot follow the players on the %s bus (%s: %s)", m->cfg->bus,
                            e->name, strempty(e->message));
        return 0;
}

/* ---- The connection ---- */

static void drop_players(struct mpris *m)
{
        while (m->players) {
                struct mpris_player *p = m->players;

                m->players = p->next;
                mpris_player_free(p);
        }
}

static void drop_connection(struct mpris *m)
{
        m->owner_match = sd_bus_slot_unref(m->owner_match);
        m->props_match = sd_bus_slot_unref(m->props_match);
        m->seeked_match = sd_bus_slot_unref(m->seeked_match);
        m->list_slot = sd_bus_slot_unref(m->list_slot);
        drop_players(m);
        m->sd = NULL;
}

static int list_names(struct mpris *m)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = NULL;
        int r;

        r = mpris_method_new(m, "org.freedesktop.DBus", "org.freedesktop.DBus", "ListNames", &msg);
        if (r < 0)
                return r;
        return mpris_call(m, msg, &m->list_slot, on_list_names, m);
}

static void on_bus_opened(struct dbus_bus_watch *w, sd_bus *bus)
{
        struct mpris *m = (struct mpris *)((char *)w - offsetof(struct mpris, watch));
        int r;

        drop_connection(m);
        m->sd = bus;
        /* The matches first: nothing that changes after ListNames can be missed. */
        r = sd_bus_add_match_async(bus, &m->owner_match, OWNER_RULE, on_name_owner_changed,
                                   on_match_added, m);
        if (r >= 0)
                r = sd_bus_add_match_async(bus, &m->props_match, PROPS_RULE, on_properties_changed,
                                           on_match_added, m);
        if (r >= 0)
                r = sd_bus_add_match_async(bus, &m->seeked_match, SEEKED_RULE, on_seeked,
                                           on_match_added, m);
        if (r >= 0)
                r = list_names(m);
        if (r < 0)
                log_error_errno(r, "mpris: cannot look for players on the %s bus: %m", m->cfg->bus);
}

static void on_bus_lost(struct dbus_bus_watch *w)
{
        struct mpris *m = (struct mpris *)((char *)w - offsetof(struct mpris, watch));

        drop_connection(m);
}

int mpris_new(sd_event *event, const struct mpris_config *cfg, struct mpris **ret)
{
        struct mpris *m = zalloc(sizeof(*m));
        int r;

        if (!m)
                return -ENOMEM;
        m->cfg = cfg;
        m->event = sd_event_ref(event);
        r = dbus_bus_get(event, cfg->bus, &m->bus);
        if (r < 0) {
                mpris_free(m);
                return r;
        }
        m->watch.opened = on_bus_opened;
        m->watch.lost = on_bus_lost;
        dbus_bus_watch_add(m->bus, &m->watch);
        *ret = m;
        return 0;
}

struct mpris *mpris_free(struct mpris *m)
{
        if (!m)
                return NULL;
        mpris_requests_abort(m);
        dbus_bus_watch_remove(&m->watch);
        drop_connection(m);
        dbus_bus_unref(m->bus);
        for (size_t i = 0; i < ELEMENTSOF(m->gone); i++)
                free(m->gone[i].label);
        sd_event_unref(m->event);
        free(m);
        return NULL;
}
