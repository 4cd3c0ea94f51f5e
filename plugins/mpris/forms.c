/* SPDX-License-Identifier: MIT */
/*
 * The forms of the "mpris" command, built each time one is shown (action_ops.build_form):
 *
 *   - no player: one line saying so (Next looks again);
 *   - several players and none chosen yet: a list-single of them, the current one preselected;
 *   - the remote: what plays, the status, the position and the volume as fixed fields, the
 *     chosen player in a hidden field (its value comes from this definition, never from the
 *     requester), a list-single of the allowed actions and, with volume allowed, a volume field
 *     validated 0-100.
 *
 * Labels are short and there are no instructions: the forms are read on phones. Option values
 * are opaque ids issued by discovery.c, and the session accepts only values offered here.
 */
#include <stdio.h>

#include "mpris-internal.h"

#define TITLE N_("Media remote")

/* The order of the remote's actions: the most used first. */
static const enum mpris_op remote_order[] = {
    MPRIS_OP_PLAY_PAUSE,   MPRIS_OP_NEXT,      MPRIS_OP_PREVIOUS,    MPRIS_OP_SEEK_BACK,
    MPRIS_OP_SEEK_FORWARD, MPRIS_OP_VOLUME_UP, MPRIS_OP_VOLUME_DOWN, MPRIS_OP_VOLUME_SET,
    MPRIS_OP_STOP,         MPRIS_OP_REFRESH,   MPRIS_OP_PLAYERS,
};

/* ---- Building blocks ---- */

static int add_fixed(struct form *f, const char *label, const char *text)
{
        struct form_field *fld = form_add_field(f, FORM_FIELD_FIXED, NULL, label);

        if (!fld || strv_extend(&fld->defaults, text) < 0)
                return -ENOMEM;
        return 0;
}

static int form_new(const char *title, struct form **ret)
{
        _cleanup_(form_freep) struct form *f = zalloc(sizeof(*f));

        if (!f || i18n_set_plain(&f->title, title) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(f);
        return 0;
}

/* A form that only says something; submitting it looks again. */
static int message_form(const char *text, const char *lang, struct form **ret)
{
        _cleanup_(form_freep) struct form *f = NULL;
        int r;

        r = form_new(l10n(lang, TITLE), &f);
        if (r < 0)
                return r;
        r = add_fixed(f, NULL, text);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(f);
        return 0;
}

/* ---- Choosing a player ---- */

static bool identity_is_shared(const struct mpris *m, const struct mpris_player *p)
{
        for (const struct mpris_player *q = m->players; q; q = q->next)
                if (q != p && q->ready && streq(mpris_player_label(q), mpris_player_label(p)))
                        return true;
        return false;
}

/* "mpv · Playing", or "mpv (mpv.instance42) · Playing" when two players share the identity. */
static char *player_option_label(const struct mpris *m, const struct mpris_player *p,
                                 const char *lang)
{
        char *s;
        int k;

        if (identity_is_shared(m, p))
                k = asprintf(&s, "%s (%s) · %s", mpris_player_label(p),
                             p->name + strlen(MPRIS_PREFIX), mpris_player_status_text(p, lang));
        else
                k = asprintf(&s, "%s · %s", mpris_player_label(p),
                             mpris_player_status_text(p, lang));
        return k < 0 ? NULL : s;
}

static int picker_form(const struct mpris *m, const struct mpris_player *preselect,
                       const char *lang, struct form **ret)
{
        _cleanup_(form_freep) struct form *f = NULL;
        struct form_field *fld;
        int r;

        r = form_new(l10n(lang, TITLE), &f);
        if (r < 0)
                return r;
        fld = form_add_field(f, FORM_FIELD_LIST_SINGLE, "player", l10n(lang, "Player"));
        if (!fld)
                return -ENOMEM;
        for (const struct mpris_player *p = m->players; p; p = p->next) {
                _cleanup_free_ char *label = NULL;

                if (!p->ready)
                        continue;
                label = player_option_label(m, p, lang);
                if (!label)
                        return -ENOMEM;
                r = form_field_add_option(fld, p->id, label);
                if (r < 0)
                        return r;
        }
        if (preselect && strv_extend(&fld->defaults, preselect->id) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(f);
        return 0;
}

/* ---- The remote ---- */

static int add_state(struct form *f, const struct mpris_player *p, usec_t now, const char *lang)
{
        _cleanup_free_ char *what = mpris_player_now_playing(p, lang);
        _cleanup_free_ char *status = mpris_player_status_line(p, now, lang);
        int pct = mpris_player_volume_pct(p);
        int r;

        if (!what || !status)
                return -ENOMEM;
        r = add_fixed(f, l10n(lang, "Now playing"), what);
        if (r >= 0 && !isempty(p->album))
                r = add_fixed(f, l10n(lang, "Album"), p->album);
        if (r >= 0)
                r = add_fixed(f, l10n(lang, "Status"), status);
        if (r >= 0 && pct >= 0) {
                char text[32];

                snprintf(text, sizeof(text), "%d %%", pct);
                r = add_fixed(f, l10n(lang, "Volume"), text);
        }
        return r;
}

/* The action preselected: the last one (so that Next, Next, Next is one tap each), else
 * Play/Pause, else the first offered. */
static enum mpris_op default_op(const struct mpris_config *cfg, const struct form_values *values)
{
        int last = mpris_op_from_value(form_values_first(values, "action"));

        if (last >= 0 && last != MPRIS_OP_PLAYERS && mpris_op_allowed(cfg, last))
                return (enum mpris_op)last;
        if (mpris_op_allowed(cfg, MPRIS_OP_PLAY_PAUSE))
                return MPRIS_OP_PLAY_PAUSE;
        for (size_t i = 0; i < ELEMENTSOF(remote_order); i++)
                if (mpris_op_allowed(cfg, remote_order[i]))
                        return remote_order[i];
        return MPRIS_OP_REFRESH;
}

static int add_actions(struct form *f, const struct mpris *m, const struct form_values *values,
                       const char *lang)
{
        struct form_field *fld =
            form_add_field(f, FORM_FIELD_LIST_SINGLE, "action", l10n(lang, "Action"));
        int r;

        if (!fld)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(remote_order); i++) {
                enum mpris_op op = remote_order[i];

                if (!mpris_op_allowed(m->cfg, op))
                        continue;
                if (op == MPRIS_OP_PLAYERS && mpris_n_players(m) < 2)
                        continue;
                r = form_field_add_option(fld, mpris_ops[op].value,
                                          l10n(lang, mpris_ops[op].label));
                if (r < 0)
                        return r;
        }
        return strv_extend(&fld->defaults, mpris_ops[default_op(m->cfg, values)].value);
}

static int add_volume(struct form *f, const struct mpris_player *p, const char *lang)
{
        int pct = mpris_player_volume_pct(p);
        struct form_field *fld;
        char text[16];

        fld = form_add_field(f, FORM_FIELD_TEXT_SINGLE, "volume", l10n(lang, "Volume (%)"));
        if (!fld)
                return -ENOMEM;
        fld->validate.datatype = FORM_DT_INTEGER;
        fld->validate.min = strdup("0");
        fld->validate.max = strdup("100");
        if (!fld->validate.min || !fld->validate.max)
                return -ENOMEM;
        /* Above 100 % (some players allow it) the default would not validate. */
        snprintf(text, sizeof(text), "%d", pct < 0 ? 0 : pct > 100 ? 100 : pct);
        return strv_extend(&fld->defaults, text);
}

static int remote_form(const struct mpris *m, const struct mpris_player *p,
                       const struct form_values *values, const char *lang, struct form **ret)
{
        _cleanup_(form_freep) struct form *f = NULL;
        struct form_field *hidden;
        int r;

        r = form_new(mpris_player_label(p), &f);
        if (r < 0)
                return r;
        r = add_state(f, p, now_usec(CLOCK_MONOTONIC), lang);
        if (r < 0)
                return r;
        hidden = form_add_field(f, FORM_FIELD_HIDDEN, "player", NULL);
        if (!hidden || strv_extend(&hidden->defaults, p->id) < 0)
                return -ENOMEM;
        r = add_actions(f, m, values, lang);
        if (r < 0)
                return r;
        if (mpris_config_allows(m->cfg, MPRIS_ACTION_VOLUME) && p->has_volume) {
                r = add_volume(f, p, lang);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(f);
        return 0;
}

/* ---- The form of each stage ---- */

struct mpris_player *mpris_chosen_player(const struct mpris *m, const struct form_values *values)
{
        struct mpris_player *p = mpris_find_player(m, form_values_first(values, "player"));

        if (p)
                return p;
        if (mpris_n_players(m) == 1)
                return mpris_current_player(m);
        return NULL;
}

int mpris_build_form(const struct mpris_command *cmd, const struct form_values *values,
                     const char *lang, struct form **ret)
{
        const struct mpris *m = cmd->cfg->link->state;
        struct mpris_player *p;

        if (!m)
                return message_form(l10n(lang, "The media remote is not running."), lang, ret);
        if (mpris_n_players(m) == 0)
                return message_form(l10n(lang, "No media player is running."), lang, ret);
        p = mpris_chosen_player(m, values);
        /* "Other player" asked for the choice again. */
        if (p && mpris_n_players(m) > 1 &&
            streq_ptr(form_values_first(values, "action"), mpris_ops[MPRIS_OP_PLAYERS].value))
                return picker_form(m, p, lang, ret);
        if (!p)
                return picker_form(m, mpris_current_player(m), lang, ret);
        return remote_form(m, p, values, lang, ret);
}
