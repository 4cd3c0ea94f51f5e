/* SPDX-License-Identifier: MIT */
/*
 * The media remote's section. Loading is pure: nothing connects to a bus here.
 *
 *   plugins:
 *     mpris:
 *       allow: {groups: [flatmates]}   # who may use the remote (an access list or a map)
 *       players: ["*"]                  # globs of what follows org.mpris.MediaPlayer2.
 *       actions: [play-pause, next, previous, stop, seek, volume]
 *       bus: session                    # session (the default) | system | a D-Bus address
 *       timeout: 10s                    # of each D-Bus call
 *
 * allow is resolved when the policy links the section (mpris.c), like a command's.
 */
#include <fnmatch.h>

#include "mpris-internal.h"

static const char *const section_keys[] = {"allow", "players", "actions", "bus", "timeout", NULL};

static const char *const action_names[_MPRIS_ACTION_MAX] = {
    [MPRIS_ACTION_PLAY_PAUSE] = "play-pause",
    [MPRIS_ACTION_NEXT] = "next",
    [MPRIS_ACTION_PREVIOUS] = "previous",
    [MPRIS_ACTION_STOP] = "stop",
    [MPRIS_ACTION_SEEK] = "seek",
    [MPRIS_ACTION_VOLUME] = "volume",
};

const char *mpris_action_to_string(enum mpris_action a)
{
        if (a < 0 || a >= _MPRIS_ACTION_MAX)
                return NULL;
        return action_names[a];
}

struct mpris_config *mpris_config_free(struct mpris_config *c)
{
        if (!c)
                return NULL;
        strv_free(c->players);
        free(c->bus);
        free(c->link);
        free(c);
        return NULL;
}

bool mpris_config_allows(const struct mpris_config *c, enum mpris_action a)
{
        if (a == MPRIS_ACTION_NONE)
                return true;
        return a >= 0 && a < _MPRIS_ACTION_MAX && (c->actions & (1u << a));
}

bool mpris_config_wants_name(const struct mpris_config *c, const char *name)
{
        const char *rest;

        if (!name || strncmp(name, MPRIS_PREFIX, strlen(MPRIS_PREFIX)) != 0)
                return false;
        rest = name + strlen(MPRIS_PREFIX);
        if (!*rest)
                return false;
        STRV_FOREACH (g, c->players)
                if (fnmatch(*g, rest, 0) == 0)
                        return true;
        return false;
}

/* A glob over bus-name characters: letters, digits, '_', '-', '.', and * ? [ ] !. */
static bool glob_is_valid(const char *g)
{
        if (isempty(g) || strlen(g) > 255)
                return false;
        return strspn(g, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                         "_-.*?[]!") == strlen(g);
}

static int parse_players(const struct ynode *section, struct mpris_config *c, struct diags *d)
{
        const struct ynode *n = ynode_get(section, "players");
        int r = 0;

        if (!n)
                return strv_extend(&c->players, "*");
        if (ynode_strv(n, &c->players, d) < 0)
                return -EINVAL;
        if (!c->players[0])
                return ynode_warning(n, d, "players: empty: no player can be controlled");
        STRV_FOREACH (g, c->players) {
                if (strncmp(*g, MPRIS_PREFIX, strlen(MPRIS_PREFIX)) == 0)
                        r = ynode_error(n, d,
                                        "players: write what follows " MPRIS_PREFIX
                                        " ('%s'), not the whole name '%s'",
                                        *g + strlen(MPRIS_PREFIX), *g);
                else if (!glob_is_valid(*g))
                        r = ynode_error(n, d,
                                        "players: '%s' is not a glob of bus-name characters "
                                        "(letters, digits, '_', '-', '.', and * ? [ ])",
                                        *g);
        }
        return r;
}

static int parse_actions(const struct ynode *section, struct mpris_config *c, struct diags *d)
{
        const struct ynode *n = ynode_get(section, "actions");

        if (!n) {
                c->actions = (1u << _MPRIS_ACTION_MAX) - 1;
                return 0;
        }
        return ynode_name_mask(n, "actions", "action", action_names, ELEMENTSOF(action_names),
                               &c->actions, d);
}

static int parse_timeout(const struct ynode *section, struct mpris_config *c, struct diags *d)
{
        const struct ynode *n = ynode_get(section, "timeout");

        c->timeout = MPRIS_TIMEOUT_DEFAULT;
        if (!n)
                return 0;
        return ynode_duration_between(n, 1, 5 * 60 * USEC_PER_SEC, &c->timeout, d);
}

int mpris_config_parse(const struct ynode *n, struct mpris_config **ret, struct diags *d)
{
        _cleanup_(mpris_config_freep) struct mpris_config *c = NULL;
        int r;

        if (ynode_expect(n, YNODE_MAP, d) < 0)
                return -EINVAL;
        c = zalloc(sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->link = zalloc(sizeof(*c->link));
        if (!c->link)
                return -ENOMEM;
        r = ynode_check_keys(n, section_keys, d);
        r = diag_merge_error(r, parse_players(n, c, d));
        r = diag_merge_error(r, parse_actions(n, c, d));
        r = diag_merge_error(r, dbus_parse_bus(n, "session", &c->bus, d));
        r = diag_merge_error(r, parse_timeout(n, c, d));
        if (!ynode_get(n, "allow"))
                r = diag_merge_error(r, ynode_warning(n, d,
                                                      "mpris: no allow: nobody can use the media "
                                                      "remote"));
        if (r < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}
