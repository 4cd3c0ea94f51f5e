/* SPDX-License-Identifier: MIT */
/*
 * Running an operation on a player, for the remote (node "mpris") and the quick commands:
 *
 *   start -> [capability check] -> method call (or Set Volume) -> GetAll Player -> notes
 *
 * Every call is asynchronous with the configured timeout, and the request owns its pending
 * slot: cancelling the command drops the call. The state is read again after each operation,
 * so that the notes and the remote's next form show what the player now says. A capability the
 * player lacks (CanGoNext false, ...) is a clear note, not a call that does nothing; a player
 * that quit is said so by name.
 */
#include <stdio.h>

#include "log.h"
#include "mpris-internal.h"

const struct mpris_op_info mpris_ops[_MPRIS_OP_MAX] = {
    [MPRIS_OP_REFRESH] = {"refresh", N_("Refresh"), MPRIS_ACTION_NONE, "mpris/now-playing",
                          N_("Now playing")},
    [MPRIS_OP_PLAY_PAUSE] = {"play-pause", N_("Play/Pause"), MPRIS_ACTION_PLAY_PAUSE,
                             "mpris/play-pause", N_("Play/Pause")},
    [MPRIS_OP_NEXT] = {"next", N_("Next"), MPRIS_ACTION_NEXT, "mpris/next", N_("Next track")},
    [MPRIS_OP_PREVIOUS] = {"previous", N_("Previous"), MPRIS_ACTION_PREVIOUS, "mpris/previous",
                           N_("Previous track")},
    [MPRIS_OP_STOP] = {"stop", N_("Stop"), MPRIS_ACTION_STOP, "mpris/stop", N_("Stop")},
    [MPRIS_OP_SEEK_BACK] = {"seek-back", N_("Back 10 s"), MPRIS_ACTION_SEEK, NULL, NULL},
    [MPRIS_OP_SEEK_FORWARD] = {"seek-forward", N_("Forward 10 s"), MPRIS_ACTION_SEEK, NULL, NULL},
    [MPRIS_OP_VOLUME_SET] = {"volume", N_("Set volume"), MPRIS_ACTION_VOLUME, NULL, NULL},
    [MPRIS_OP_VOLUME_UP] = {"volume-up", N_("Volume up"), MPRIS_ACTION_VOLUME, "mpris/volume-up",
                            N_("Volume up")},
    [MPRIS_OP_VOLUME_DOWN] = {"volume-down", N_("Volume down"), MPRIS_ACTION_VOLUME,
                              "mpris/volume-down", N_("Volume down")},
    [MPRIS_OP_PLAYERS] = {"players", N_("Other player"), MPRIS_ACTION_NONE, NULL, NULL},
};

int mpris_op_from_value(const char *value)
{
        for (size_t i = 0; value && i < ELEMENTSOF(mpris_ops); i++)
                if (streq(value, mpris_ops[i].value))
                        return (int)i;
        return -EINVAL;
}

bool mpris_op_allowed(const struct mpris_config *c, enum mpris_op op)
{
        return op < _MPRIS_OP_MAX && mpris_config_allows(c, mpris_ops[op].needs);
}

/* ---- Requests ---- */

struct mpris_request {
        struct mpris *m;
        struct action_call *call;
        enum mpris_op op;
        bool quick;
        char *name;  /* the player's bus name: looked up again at each step */
        char *label; /* its label, for notes once it is gone */
        sd_bus_slot *slot;
        struct mpris_request *prev, *next;
};

static struct mpris_request *request_free(struct mpris_request *req)
{
        struct mpris *m = req->m;

        if (req->prev)
                req->prev->next = req->next;
        else if (m->requests == req)
                m->requests = req->next;
        if (req->next)
                req->next->prev = req->prev;
        sd_bus_slot_unref(req->slot);
        free(req->name);
        free(req->label);
        free(req);
        return NULL;
}

/* Completes call with one note (NULL: none); close ends even the remote's session. */
static void finish_call(struct action_call *call, int error, enum note_type type, bool close,
                        const char *text)
{
        struct action_result *res = action_result_new();

        if (res) {
                res->error = error;
                res->close = close;
                if (text && action_result_add_note(res, type, "%s", text) < 0)
                        res->error = -ENOMEM;
        }
        action_call_complete(call, res);
}

static void request_finish(struct mpris_request *req, struct action_result *res)
{
        struct action_call *call = req->call;

        call->userdata = NULL;
        request_free(req);
        action_call_complete(call, res);
}

static void request_finish_note(struct mpris_request *req, enum note_type type, bool close,
                                const char *text)
{
        struct action_call *call = req->call;

        call->userdata = NULL;
        request_free(req);
        finish_call(call, 0, type, close, text);
}

/* The player quit: said by name. The remote then offers the others, or ends without any. */
static void finish_gone(struct mpris *m, struct action_call *call, const char *label)
{
        bool none = mpris_n_players(m) == 0;
        _cleanup_free_ char *text = NULL;

        if (!label)
                label = l10n(call->lang, "The player");
        if (asprintf(&text,
                     none ? l10n(call->lang, "%s has quit. No other player is running.")
                          : l10n(call->lang, "%s has quit."),
                     label) < 0)
                text = NULL;
        finish_call(call, text ? 0 : -ENOMEM, NOTE_ERROR, none, text);
}

static void request_gone(struct mpris_request *req)
{
        struct action_call *call = req->call;
        struct mpris *m = req->m;
        _cleanup_free_ char *label = TAKE_PTR(req->label);

        call->userdata = NULL;
        request_free(req);
        finish_gone(m, call, label);
}

void mpris_requests_abort(struct mpris *m)
{
        while (m->requests)
                request_finish_note(
                    m->requests, NOTE_ERROR, true,
                    l10n(m->requests->call->lang, "The media remote was restarted; try again."));
}

/* ---- Outcomes ---- */

static int add_result_field(struct form_result *r, const char *var, const char *label,
                            const char *value)
{
        if (isempty(value))
                return 0;
        return form_result_add_field(r, var, label, FORM_FIELD_TEXT_SINGLE,
                                     (char *[]){(char *)value, NULL});
}

/* now-playing's result: the state as a table of fields. */
static int add_now_playing(struct action_result *res, const struct mpris_player *p, usec_t now,
                           const char *lang)
{
        _cleanup_(form_result_freep) struct form_result *f = form_result_new();
        _cleanup_free_ char *status = mpris_player_status_line(p, now, lang);
        int pct = mpris_player_volume_pct(p);
        char volume[16] = "";
        int r;

        if (!f || !status)
                return -ENOMEM;
        if (pct >= 0)
                snprintf(volume, sizeof(volume), "%d %%", pct);
        r = form_result_set_title(f, l10n(lang, "Now playing"));
        if (r >= 0)
                r = add_result_field(f, "player", l10n(lang, "Player"), mpris_player_label(p));
        if (r >= 0)
                r = add_result_field(f, "title", l10n(lang, "Title"), p->title);
        if (r >= 0)
                r = add_result_field(f, "artist", l10n(lang, "Artist"), p->artist);
        if (r >= 0)
                r = add_result_field(f, "album", l10n(lang, "Album"), p->album);
        if (r >= 0)
                r = add_result_field(f, "status", l10n(lang, "Status"), status);
        if (r >= 0)
                r = add_result_field(f, "volume", l10n(lang, "Volume"), volume);
        if (r < 0)
                return r;
        res->form = TAKE_PTR(f);
        return 0;
}

/* The operation is done and the state read: say what the player now does. */
static void request_done(struct mpris_request *req, const struct mpris_player *p)
{
        _cleanup_(action_result_freep) struct action_result *res = action_result_new();
        usec_t now = now_usec(CLOCK_MONOTONIC);
        const char *lang = req->call->lang;
        _cleanup_free_ char *text = NULL;
        int r = 0;

        if (!res) {
                request_finish(req, NULL);
                return;
        }
        switch (req->op) {
        case MPRIS_OP_REFRESH:
        case MPRIS_OP_PLAYERS:
                /* The remote's form shows the state; now-playing says it. */
                if (req->quick) {
                        text = mpris_player_summary(p, now, lang);
                        r = text ? add_now_playing(res, p, now, lang) : -ENOMEM;
                }
                break;
        case MPRIS_OP_VOLUME_SET:
        case MPRIS_OP_VOLUME_UP:
        case MPRIS_OP_VOLUME_DOWN:
                if (asprintf(&text, l10n(lang, "%s: volume %d %%"), mpris_player_label(p),
                             mpris_player_volume_pct(p)) < 0)
                        text = NULL;
                break;
        case MPRIS_OP_PLAY_PAUSE:
        case MPRIS_OP_NEXT:
        case MPRIS_OP_PREVIOUS:
        case MPRIS_OP_STOP:
        case MPRIS_OP_SEEK_BACK:
        case MPRIS_OP_SEEK_FORWARD:
        case _MPRIS_OP_MAX:
                text = mpris_player_summary(p, now, lang);
                break;
        }
        if (r >= 0 && text)
                r = action_result_add_note(res, NOTE_INFO, "%s", text);
        if (r < 0)
                res->error = r;
        request_finish(req, TAKE_PTR(res));
}

static bool error_is_disconnect(const sd_bus_error *e)
{
        /* What sd-bus answers for calls pending when the connection drops. */
        return sd_bus_error_has_name(e, SD_BUS_ERROR_DISCONNECTED) ||
               (sd_bus_error_has_name(e, SD_BUS_ERROR_NO_REPLY) &&
                streq_ptr(e->message, "Connection terminated"));
}

static bool error_is_gone(const sd_bus_error *e)
{
        return sd_bus_error_has_name(e, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
               sd_bus_error_has_name(e, SD_BUS_ERROR_NAME_HAS_NO_OWNER);
}

static void describe_timeout(usec_t t, char *buf, size_t size)
{
        if (t % USEC_PER_SEC == 0)
                snprintf(buf, size, "%u s", (unsigned)(t / USEC_PER_SEC));
        else
                snprintf(buf, size, "%u ms", (unsigned)(t / USEC_PER_MSEC));
}

static void request_dbus_error(struct mpris_request *req, const sd_bus_error *e)
{
        _cleanup_free_ char *text = NULL, *name = NULL, *message = NULL;
        const char *label = req->label, *lang = req->call->lang;
        char t[32];
        int k;

        if (error_is_gone(e) || !mpris_find_player_by_name(req->m, req->name)) {
                request_gone(req);
                return;
        }
        if (error_is_disconnect(e)) {
                request_finish_note(req, NOTE_ERROR, false,
                                    l10n(lang, "The D-Bus connection is down; try again shortly."));
                return;
        }
        if (sd_bus_error_has_name(e, SD_BUS_ERROR_NO_REPLY)) {
                describe_timeout(req->m->cfg->timeout, t, sizeof(t));
                k = asprintf(&text, l10n(lang, "%s did not answer within %s."), label, t);
        } else {
                name = mpris_text_clean(strempty(e->name));
                message = mpris_text_clean(strempty(e->message));
                k = name && message
                        ? asprintf(&text, l10n(lang, "%s refused: %s: %s"), label, name, message)
                        : -1;
        }
        if (k < 0)
                text = NULL;
        request_finish_note(req, NOTE_ERROR, false, text ? text : l10n(lang, "Out of memory."));
}

/* ---- Steps ---- */

static int on_refreshed(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        struct mpris_request *req = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        struct mpris_player *p;
        int r;

        req->slot = sd_bus_slot_unref(req->slot);
        if (e) {
                request_dbus_error(req, e);
                return 0;
        }
        p = mpris_find_player_by_name(req->m, req->name);
        if (!p) {
                request_gone(req);
                return 0;
        }
        r = mpris_player_update(req->m, p, MPRIS_IFACE_PLAYER, reply);
        if (r < 0)
                log_warning_errno(r, "mpris: unreadable properties from %s: %m", p->name);
        request_done(req, p);
        return 0;
}

/* Reads the Player properties again, then finishes. */
static int request_refresh(struct mpris_request *req)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = NULL;
        int r;

        r = mpris_method_new(req->m, req->name, "org.freedesktop.DBus.Properties", "GetAll", &msg);
        if (r >= 0)
                r = sd_bus_message_append(msg, "s", MPRIS_IFACE_PLAYER);
        if (r >= 0)
                r = mpris_call(req->m, msg, &req->slot, on_refreshed, req);
        return r;
}

static int on_done(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        struct mpris_request *req = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        int r;

        req->slot = sd_bus_slot_unref(req->slot);
        if (e) {
                request_dbus_error(req, e);
                return 0;
        }
        r = request_refresh(req);
        if (r < 0)
                request_finish_note(
                    req, NOTE_ERROR, false,
                    l10n(req->call->lang, "The D-Bus connection is down; try again shortly."));
        return 0;
}

/* The capability an operation needs, as a note when the player lacks it; NULL if it has it. */
static char *missing_capability(const struct mpris_player *p, enum mpris_op op, const char *lang)
{
        const char *label = mpris_player_label(p), *what = NULL;
        char *s;

        switch (op) {
        case MPRIS_OP_REFRESH:
        case MPRIS_OP_PLAYERS:
        case _MPRIS_OP_MAX:
                return NULL;
        case MPRIS_OP_PLAY_PAUSE:
                if (mpris_player_is_playing(p) && !p->can_pause)
                        what = l10n(lang, "cannot pause (CanPause is false)");
                else if (!mpris_player_is_playing(p) && !p->can_play)
                        what = l10n(lang, "cannot play (CanPlay is false)");
                break;
        case MPRIS_OP_NEXT:
                if (!p->can_next)
                        what = l10n(lang, "cannot skip to the next track (CanGoNext is false)");
                break;
        case MPRIS_OP_PREVIOUS:
                if (!p->can_previous)
                        what = l10n(
                            lang, "cannot go back to the previous track (CanGoPrevious is false)");
                break;
        case MPRIS_OP_SEEK_BACK:
        case MPRIS_OP_SEEK_FORWARD:
                if (!p->can_seek)
                        what = l10n(lang, "cannot seek (CanSeek is false)");
                break;
        case MPRIS_OP_VOLUME_SET:
        case MPRIS_OP_VOLUME_UP:
        case MPRIS_OP_VOLUME_DOWN:
                if (!p->has_volume)
                        what = l10n(lang, "has no volume control");
                break;
        case MPRIS_OP_STOP:
                break;
        }
        /* CanControl false means that nothing can be done at all. */
        if (op != MPRIS_OP_REFRESH && op != MPRIS_OP_PLAYERS && !p->can_control)
                what = l10n(lang, "cannot be controlled (CanControl is false)");
        if (!what)
                return NULL;
        if (asprintf(&s, "%s %s.", label, what) < 0)
                return strdup(l10n(lang, "Out of memory."));
        return s;
}

/* The volume an operation sets, in %, or -1 when nothing is to be done. */
static int target_volume(const struct mpris_player *p, enum mpris_op op,
                         const struct form_values *values)
{
        int pct = mpris_player_volume_pct(p);
        uint64_t v;

        switch (op) {
        case MPRIS_OP_VOLUME_SET:
                if (parse_uint64(strempty(form_values_first(values, "volume")), &v) < 0 || v > 100)
                        return -1;
                return (int)v;
        case MPRIS_OP_VOLUME_UP:
                /* Above 100 % (some players allow it), up leaves it as it is. */
                if (pct >= 100)
                        return pct;
                return pct + MPRIS_VOLUME_STEP > 100 ? 100 : pct + MPRIS_VOLUME_STEP;
        case MPRIS_OP_VOLUME_DOWN:
                return pct <= MPRIS_VOLUME_STEP ? 0 : pct - MPRIS_VOLUME_STEP;
        case MPRIS_OP_REFRESH:
        case MPRIS_OP_PLAY_PAUSE:
        case MPRIS_OP_NEXT:
        case MPRIS_OP_PREVIOUS:
        case MPRIS_OP_STOP:
        case MPRIS_OP_SEEK_BACK:
        case MPRIS_OP_SEEK_FORWARD:
        case MPRIS_OP_PLAYERS:
        case _MPRIS_OP_MAX:
                break;
        }
        return -1;
}

static int new_operation_call(struct mpris_request *req, const struct mpris_player *p,
                              sd_bus_message **ret)
{
        static const char *const methods[_MPRIS_OP_MAX] = {
            [MPRIS_OP_PLAY_PAUSE] = "PlayPause", [MPRIS_OP_NEXT] = "Next",
            [MPRIS_OP_PREVIOUS] = "Previous",    [MPRIS_OP_STOP] = "Stop",
            [MPRIS_OP_SEEK_BACK] = "Seek",       [MPRIS_OP_SEEK_FORWARD] = "Seek",
        };
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = NULL;
        int pct, r;

        if (methods[req->op]) {
                r = mpris_method_new(req->m, p->name, MPRIS_IFACE_PLAYER, methods[req->op], &msg);
                if (r >= 0 && req->op == MPRIS_OP_SEEK_BACK)
                        r = sd_bus_message_append(msg, "x", -(int64_t)MPRIS_SEEK_STEP);
                else if (r >= 0 && req->op == MPRIS_OP_SEEK_FORWARD)
                        r = sd_bus_message_append(msg, "x", (int64_t)MPRIS_SEEK_STEP);
        } else {
                pct = target_volume(p, req->op, req->call->values);
                if (pct < 0)
                        return -EINVAL;
                r = mpris_method_new(req->m, p->name, "org.freedesktop.DBus.Properties", "Set",
                                     &msg);
                if (r >= 0)
                        r = sd_bus_message_append(msg, "ssv", MPRIS_IFACE_PLAYER, "Volume", "d",
                                                  pct / 100.0);
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(msg);
        return 0;
}

/* Runs op on p for call: completes call, now or later. */
static void run(struct mpris *m, struct action_call *call, enum mpris_op op, bool quick,
                const struct mpris_player *p)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = NULL;
        _cleanup_free_ char *missing = missing_capability(p, op, call->lang);
        struct mpris_request *req;
        int r;

        if (missing) {
                finish_call(call, 0, NOTE_ERROR, false, missing);
                return;
        }
        req = zalloc(sizeof(*req));
        if (req) {
                req->name = strdup(p->name);
                req->label = strdup(mpris_player_label(p));
        }
        if (!req || !req->name || !req->label) {
                if (req)
                        free(req->name);
                free(req);
                finish_call(call, -ENOMEM, NOTE_ERROR, false, NULL);
                return;
        }
        req->m = m;
        req->call = call;
        req->op = op;
        req->quick = quick;
        req->next = m->requests;
        if (m->requests)
                m->requests->prev = req;
        m->requests = req;
        call->userdata = req;

        if (op == MPRIS_OP_REFRESH || op == MPRIS_OP_PLAYERS) {
                r = request_refresh(req);
        } else {
                r = new_operation_call(req, p, &msg);
                if (r == -EINVAL) {
                        request_finish_note(
                            req, NOTE_ERROR, false,
                            l10n(call->lang, "Volume: give a value from 0 to 100."));
                        return;
                }
                if (r >= 0)
                        r = mpris_call(m, msg, &req->slot, on_done, req);
        }
        if (r < 0)
                request_finish_note(
                    req, NOTE_ERROR, false,
                    l10n(call->lang, "The D-Bus connection is down; try again shortly."));
}

/* ---- The remote ---- */

static struct mpris *running(const struct mpris_command *cmd)
{
        return cmd->cfg->link->state;
}

static int remote_start(struct action_call *call)
{
        const struct mpris_command *cmd = call->cfg;
        struct mpris *m = running(cmd);
        const char *action = form_values_first(call->values, "action");
        const char *id = form_values_first(call->values, "player");
        struct mpris_player *p;
        int op;

        if (!m) {
                finish_call(call, 0, NOTE_ERROR, true,
                            l10n(call->lang, "The media remote is not running."));
                return 0;
        }
        /* The session accepts only the options it offered; checked again all the same. */
        op = action ? mpris_op_from_value(action) : MPRIS_OP_REFRESH;
        if (op < 0) {
                finish_call(call, -EINVAL, NOTE_ERROR, false, l10n(call->lang, "Unknown action."));
                return 0;
        }
        if (!mpris_op_allowed(cmd->cfg, op)) {
                finish_call(call, -EPERM, NOTE_ERROR, false,
                            l10n(call->lang, "This action is not allowed."));
                return 0;
        }
        if (!isempty(id)) {
                p = mpris_find_player(m, id);
                if (!p) {
                        finish_gone(m, call, mpris_gone_label(m, id));
                        return 0;
                }
        } else {
                p = mpris_current_player(m);
        }
        if (!p) {
                finish_call(call, 0, NOTE_ERROR, true,
                            l10n(call->lang, "No media player is running."));
                return 0;
        }
        if (op == MPRIS_OP_PLAYERS) {
                /* Nothing to do: the next form offers the players. */
                finish_call(call, 0, NOTE_INFO, false, NULL);
                return 0;
        }
        run(m, call, (enum mpris_op)op, false, p);
        return 0;
}

static void request_cancel(struct action_call *call)
{
        struct mpris_request *req = call->userdata;

        /* Dropping the slot cancels the call: its reply, if any, is ignored. */
        if (req)
                request_free(req);
        call->userdata = NULL;
}

static int remote_build_form(const void *cfg, const struct action_call *call, struct form **ret)
{
        return mpris_build_form(cfg, call->values, call->lang, ret);
}

static bool command_available(const void *cfg)
{
        const struct mpris_command *cmd = cfg;

        return running(cmd) != NULL;
}

const struct action_ops mpris_remote_action = {
    .key = "mpris",
    .free_cfg = free,
    .start = remote_start,
    .cancel = request_cancel,
    .build_form = remote_build_form,
    .available = command_available,
    .live = true,
};

/* ---- Quick commands: one tap on the current player ---- */

static int quick_start(struct action_call *call)
{
        const struct mpris_command *cmd = call->cfg;
        struct mpris *m = running(cmd);
        struct mpris_player *p;

        if (!m) {
                finish_call(call, 0, NOTE_ERROR, false,
                            l10n(call->lang, "The media remote is not running."));
                return 0;
        }
        if (!mpris_op_allowed(cmd->cfg, cmd->op)) {
                finish_call(call, -EPERM, NOTE_ERROR, false,
                            l10n(call->lang, "This action is not allowed."));
                return 0;
        }
        p = mpris_current_player(m);
        if (!p) {
                finish_call(call, 0, NOTE_ERROR, false,
                            l10n(call->lang, "No media player is running."));
                return 0;
        }
        run(m, call, cmd->op, true, p);
        return 0;
}

const struct action_ops mpris_quick_action = {
    .key = "mpris-quick",
    .free_cfg = free,
    .start = quick_start,
    .cancel = request_cancel,
    .available = command_available,
};
