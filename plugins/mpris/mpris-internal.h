/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Internals of the media remote, shared by the files of plugins/mpris/ and their tests:
 *   config.c     the YAML section (pure)
 *   player.c     one player's state read from its properties, and the texts shown of it
 *   discovery.c  the players on the bus: ListNames, NameOwnerChanged, PropertiesChanged
 *   forms.c      the forms of the "mpris" command: pick a player, then the remote
 *   control.c    running an operation on a player (the remote and the quick commands)
 *   mpris.c      the feature descriptor and the commands it adds to the policy
 *
 * The requester never names a bus name: forms offer opaque values ("p1", "p2") issued here,
 * the session validates answers against the options it sent, and only names under
 * org.mpris.MediaPlayer2. that match the configured globs ever become players.
 */
#include <systemd/sd-bus.h>

#include "action.h"
#include "dbus.h"
#include "l10n.h"
#include "mpris.h"

#define MPRIS_PREFIX       "org.mpris.MediaPlayer2."
#define MPRIS_PATH         "/org/mpris/MediaPlayer2"
#define MPRIS_IFACE_ROOT   "org.mpris.MediaPlayer2"
#define MPRIS_IFACE_PLAYER "org.mpris.MediaPlayer2.Player"

#define MPRIS_TIMEOUT_DEFAULT (10 * USEC_PER_SEC)
#define MPRIS_SEEK_STEP       (10 * USEC_PER_SEC)
#define MPRIS_VOLUME_STEP     10  /* percentage points of volume up and down */
#define MPRIS_TEXT_MAX        200 /* bytes shown of a title, an artist, an identity */
#define MPRIS_ID_MAX          16

/* ---- Configuration (config.c) ---- */

/* What actions: may allow. */
enum mpris_action {
        MPRIS_ACTION_PLAY_PAUSE,
        MPRIS_ACTION_NEXT,
        MPRIS_ACTION_PREVIOUS,
        MPRIS_ACTION_STOP,
        MPRIS_ACTION_SEEK,
        MPRIS_ACTION_VOLUME,
        _MPRIS_ACTION_MAX,
        MPRIS_ACTION_NONE = -1, /* reading only: always allowed */
};

struct mpris;

/* Where the commands find the running feature: set by start(), cleared by stop(). The
 * configuration owns it, so that the commands (which point at the configuration) can reach the
 * feature without owning it. */
struct mpris_link {
        struct mpris *state;
};

struct mpris_config {
        char **players;   /* globs of what follows MPRIS_PREFIX */
        unsigned actions; /* one bit (1u << enum mpris_action) per allowed action */
        char *bus;        /* "session", "system" or a D-Bus address */
        usec_t timeout;   /* of every D-Bus call */
        struct mpris_link *link;
};

int mpris_config_parse(const struct ynode *n, struct mpris_config **ret, struct diags *d);
struct mpris_config *mpris_config_free(struct mpris_config *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct mpris_config *, mpris_config_free)
const char *mpris_action_to_string(enum mpris_action a) _pure_;
bool mpris_config_allows(const struct mpris_config *c, enum mpris_action a) _pure_;
/* Whether name is an MPRIS player's bus name that the players: globs let in. */
bool mpris_config_wants_name(const struct mpris_config *c, const char *name) _pure_;

/* ---- Operations: what the remote offers and the quick commands do (control.c) ---- */

enum mpris_op {
        MPRIS_OP_REFRESH, /* only show the state (the remote's pick stage, now-playing) */
        MPRIS_OP_PLAY_PAUSE,
        MPRIS_OP_NEXT,
        MPRIS_OP_PREVIOUS,
        MPRIS_OP_STOP,
        MPRIS_OP_SEEK_BACK,
        MPRIS_OP_SEEK_FORWARD,
        MPRIS_OP_VOLUME_SET,
        MPRIS_OP_VOLUME_UP,
        MPRIS_OP_VOLUME_DOWN,
        MPRIS_OP_PLAYERS, /* the remote goes back to the choice of player */
        _MPRIS_OP_MAX,
};

struct mpris_op_info {
        const char *value;       /* the option value in the remote's action list */
        const char *label;       /* its label there */
        enum mpris_action needs; /* the action: that allows it */
        const char *quick_node;  /* the quick command doing it, or NULL */
        const char *quick_name;
};

extern const struct mpris_op_info mpris_ops[_MPRIS_OP_MAX];
int mpris_op_from_value(const char *value); /* -EINVAL when unknown */
bool mpris_op_allowed(const struct mpris_config *c, enum mpris_op op) _pure_;

/* The configuration of each command the feature adds (its action_cfg). */
struct mpris_command {
        const struct mpris_config *cfg;
        enum mpris_op op; /* a quick command's operation; the remote: MPRIS_OP_REFRESH */
};

extern const struct action_ops mpris_remote_action; /* node "mpris", live */
extern const struct action_ops mpris_quick_action;  /* one-tap, single stage */

/* ---- A player's state (player.c) ---- */

struct mpris_player {
        struct mpris *m;
        struct mpris_player *next;
        char *name;                   /* the bus name, MPRIS_PREFIX... */
        char *owner;                  /* its unique name, once known */
        char id[MPRIS_ID_MAX];        /* the opaque value forms use; set once ready */
        char *identity;               /* cleaned */
        char *status;                 /* PlaybackStatus: Playing, Paused, Stopped; NULL unknown */
        char *title, *artist, *album; /* cleaned; NULL unknown */
        char *trackid;                /* mpris:trackid, to notice a new track */
        int64_t length;               /* µs; < 0 unknown */
        int64_t position;             /* µs at position_at; < 0 unknown */
        usec_t position_at;           /* CLOCK_MONOTONIC */
        double rate;
        double volume; /* 1.0 is 100 % */
        bool has_volume;
        bool can_next, can_previous, can_play, can_pause, can_seek, can_control;
        bool ready;           /* the Player interface was read once */
        uint64_t playing_seq; /* when it last started or stopped playing; 0: never seen playing */
        sd_bus_slot *read_root, *read_player; /* pending GetAll calls */
};

int mpris_player_new(const char *name, const char *owner, struct mpris_player **ret);
struct mpris_player *mpris_player_free(struct mpris_player *p);
/* Applies an a{sv} of properties of interface, read from m at its current position. */
int mpris_player_apply(struct mpris_player *p, const char *interface, sd_bus_message *m,
                       usec_t now);
/* Applies a Seeked signal's position. */
void mpris_player_seeked(struct mpris_player *p, int64_t position, usec_t now);
bool mpris_player_is_playing(const struct mpris_player *p) _pure_;
/* The position now, extrapolated while playing; < 0 when unknown. */
int64_t mpris_player_position(const struct mpris_player *p, usec_t now) _pure_;
/* The volume in %, rounded, or -1 when unknown. */
int mpris_player_volume_pct(const struct mpris_player *p) _pure_;
/* Identity, or what follows MPRIS_PREFIX when the player has none. */
const char *mpris_player_label(const struct mpris_player *p) _pure_;

/* Remote text made safe to show: control characters (and what XML cannot carry) become U+FFFD,
 * and it is cut at MPRIS_TEXT_MAX bytes on a character boundary. */
char *mpris_text_clean(const char *s);
/* "m:ss" or "h:mm:ss". */
void mpris_format_time(int64_t usec, char *buf, size_t size);
/* The player's PlaybackStatus in lang ("Playing", "Unknown" without one). */
const char *mpris_player_status_text(const struct mpris_player *p, const char *lang);
/* "Title — Artist", "Title", "Nothing" (in lang) */
char *mpris_player_now_playing(const struct mpris_player *p, const char *lang);
/* "Playing · 1:02 / 3:45" */
char *mpris_player_status_line(const struct mpris_player *p, usec_t now, const char *lang);
/* "mpv: Playing · Title — Artist" */
char *mpris_player_summary(const struct mpris_player *p, usec_t now, const char *lang);

/* ---- The players on the bus (discovery.c) ---- */

struct mpris_request;

struct mpris {
        const struct mpris_config *cfg;
        sd_event *event;
        struct dbus_bus *bus;
        struct dbus_bus_watch watch;
        sd_bus *sd; /* the open connection; NULL while there is none */
        sd_bus_slot *owner_match, *props_match, *seeked_match, *list_slot;
        struct mpris_player *players; /* in the order they appeared */
        uint64_t seq;
        struct mpris_request *requests; /* in flight, failed when the feature stops */
        struct {
                char id[MPRIS_ID_MAX];
                char *label;
        } gone[8]; /* players that quit lately, for "mpv has quit" */
        size_t gone_next;
};

int mpris_new(sd_event *event, const struct mpris_config *cfg, struct mpris **ret);
/* A method call to destination (at MPRIS_PATH, or the bus driver's path); -ENOTCONN while the
 * bus is unavailable. */
int mpris_method_new(struct mpris *m, const char *destination, const char *interface,
                     const char *member, sd_bus_message **ret);
/* Sends msg with the configured timeout; the reply (or the error) goes to cb. */
int mpris_call(struct mpris *m, sd_bus_message *msg, sd_bus_slot **ret_slot,
               sd_bus_message_handler_t cb, void *userdata);
struct mpris *mpris_free(struct mpris *m);
/* A player that was read (ready), by id or by bus name; NULL when there is none. */
struct mpris_player *mpris_find_player(const struct mpris *m, const char *id);
struct mpris_player *mpris_find_player_by_name(const struct mpris *m, const char *name);
/* The label of a player that quit lately, or NULL. */
const char *mpris_gone_label(const struct mpris *m, const char *id);
size_t mpris_n_players(const struct mpris *m) _pure_;
/* The player playing most recently: one playing now (the last to start), else the last one
 * that stopped playing, else the first to appear. NULL when there is none. */
struct mpris_player *mpris_current_player(const struct mpris *m);
/* Applies a GetAll reply of interface to p (the status history included). */
int mpris_player_update(struct mpris *m, struct mpris_player *p, const char *interface,
                        sd_bus_message *reply);

/* control.c: ends the requests in flight (the feature stops). */
void mpris_requests_abort(struct mpris *m);

/* ---- Forms (forms.c) ---- */

/* The form of the "mpris" command for the values submitted so far, in lang. */
int mpris_build_form(const struct mpris_command *cmd, const struct form_values *values,
                     const char *lang, struct form **ret);
/* The player a stage's values designate, else the only one (NULL when none or several). */
struct mpris_player *mpris_chosen_player(const struct mpris *m, const struct form_values *values);
