/* SPDX-License-Identifier: MIT */
/*
 * The media remote against a real bus: a private dbus-daemon and tests/mpris/fake-player, both
 * started (and stopped) by this test. The feature is configured through a real policy and its
 * commands are driven the way the engine drives them: build_form, validation of the answer
 * against the form that was built, then start() on an sd-event loop. The players' state is
 * checked over the test's own connection. Outcomes are asserted, never durations; the loop only
 * gives up on a hung test after a generous limit.
 */
#include <signal.h>
#include <stddef.h>
#include <stdio.h>

#include "mpris/mpris-internal.h"
#include "policy.h"
#include "private-bus.h"
#include "result-helpers.h"
#include "tests.h"

#ifndef FAKE_PLAYER
#error "FAKE_PLAYER must name the fake player binary"
#endif

static sd_event *event;
static struct private_bus bus;
static sd_bus *probe; /* the test's own connection: what the players really do */
static struct policy *policy;
static struct mpris *m; /* the running feature */

struct fake {
        pid_t pid;
        char name[128];
};

/* ---- Processes ---- */

static void probe_connect(void)
{
        probe = sd_bus_flush_close_unref(probe);
        CHECK(sd_bus_new(&probe) >= 0);
        CHECK(sd_bus_set_address(probe, bus.address) >= 0);
        CHECK(sd_bus_set_bus_client(probe, true) >= 0);
        CHECK(sd_bus_start(probe) >= 0);
}

/* Starts a fake player named suffix (or full name with "=NAME"); extra: more options. */
static void fake_start(struct fake *f, const char *suffix, char *const *extra)
{
        char *argv[32] = {(char *)FAKE_PLAYER, (char *)"--address", bus.address};
        size_t n = 3;

        if (suffix[0] == '=') {
                argv[n++] = (char *)"--full-name";
                argv[n++] = (char *)suffix + 1;
                snprintf(f->name, sizeof(f->name), "%s", suffix + 1);
        } else {
                argv[n++] = (char *)"--name";
                argv[n++] = (char *)suffix;
                snprintf(f->name, sizeof(f->name), MPRIS_PREFIX "%s", suffix);
        }
        for (size_t i = 0; extra && extra[i] && n + 1 < ELEMENTSOF(argv); i++)
                argv[n++] = extra[i];
        argv[n] = NULL;
        f->pid = private_bus_spawn(argv);
}

/* ---- The loop ---- */

static void run_while_not(bool (*pred)(const void *), const void *userdata)
{
        CHECK(private_bus_run_until(event, pred, userdata));
}

static bool n_players_is(const void *userdata)
{
        return mpris_n_players(m) == *(const size_t *)userdata;
}

static void wait_players(size_t n)
{
        run_while_not(n_players_is, &n);
}

struct status_wait {
        const char *name, *status;
};

static bool status_is(const void *userdata)
{
        const struct status_wait *w = userdata;
        const struct mpris_player *p = mpris_find_player_by_name(m, w->name);

        return p && streq_ptr(p->status, w->status);
}

static void wait_status(const struct fake *f, const char *status)
{
        run_while_not(status_is, &(struct status_wait){f->name, status});
}

static struct mpris_player *player_of(const struct fake *f)
{
        struct mpris_player *p = mpris_find_player_by_name(m, f->name);

        CHECK(p != NULL);
        return p;
}

/* ---- What the players really do ---- */

static void probe_call(const struct fake *f, const char *method)
{
        sd_bus_error e = SD_BUS_ERROR_NULL;

        CHECK(sd_bus_call_method(probe, f->name, MPRIS_PATH, MPRIS_IFACE_PLAYER, method, &e, NULL,
                                 NULL) >= 0);
        sd_bus_error_free(&e);
}

static char *probe_status(const struct fake *f)
{
        sd_bus_error e = SD_BUS_ERROR_NULL;
        char *s = NULL;

        CHECK(sd_bus_get_property_string(probe, f->name, MPRIS_PATH, MPRIS_IFACE_PLAYER,
                                         "PlaybackStatus", &e, &s) >= 0);
        sd_bus_error_free(&e);
        return s;
}

static double probe_volume(const struct fake *f)
{
        sd_bus_error e = SD_BUS_ERROR_NULL;
        double v = -1;

        CHECK(sd_bus_get_property_trivial(probe, f->name, MPRIS_PATH, MPRIS_IFACE_PLAYER, "Volume",
                                          &e, 'd', &v) >= 0);
        sd_bus_error_free(&e);
        return v;
}

/* xesam:title from Metadata, read by hand. */
static char *probe_title(const struct fake *f)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        const char *key, *title;
        char *found = NULL;

        CHECK(sd_bus_get_property(probe, f->name, MPRIS_PATH, MPRIS_IFACE_PLAYER, "Metadata", &e,
                                  &reply, "a{sv}") >= 0);
        sd_bus_error_free(&e);
        if (!reply || sd_bus_message_enter_container(reply, 'a', "{sv}") < 0)
                return NULL;
        while (sd_bus_message_enter_container(reply, 'e', "sv") > 0) {
                CHECK(sd_bus_message_read(reply, "s", &key) >= 0);
                if (streq(key, "xesam:title") && sd_bus_message_read(reply, "v", "s", &title) > 0)
                        found = strdup(title);
                else
                        CHECK(sd_bus_message_skip(reply, "v") >= 0);
                CHECK(sd_bus_message_exit_container(reply) >= 0);
        }
        return found;
}

static bool near(double x, double y)
{
        return x - y < 1e-9 && y - x < 1e-9;
}

#define CHECK_PROBE(expr, want)                                                                    \
        do {                                                                                       \
                _cleanup_free_ char *_s = (expr);                                                  \
                CHECK_STREQ(_s, want);                                                             \
        } while (0)

/* ---- Calls, as the engine makes them ---- */

struct tcall {
        struct action_call call;
        const struct command *cmd;
        struct form_values vals;
        struct action_result *res;
        bool done;
};

static void on_complete(struct action_call *call, struct action_result *res)
{
        struct tcall *t = (struct tcall *)((char *)call - offsetof(struct tcall, call));

        CHECK(!t->done); /* exactly once */
        t->res = res;
        t->done = true;
}

static bool tcall_done(const void *userdata)
{
        return ((const struct tcall *)userdata)->done;
}

static const struct command *command(const char *node)
{
        const struct command *c = policy_find_command(policy, node);

        if (!c) {
                fprintf(stderr, "no command %s\n", node);
                abort();
        }
        return c;
}

/* Starts node with a copy of vals (may be NULL). */
static struct tcall *tcall_start(const char *node, const struct form_values *vals)
{
        struct tcall *t = zalloc(sizeof(*t));

        if (!t)
                abort();
        t->cmd = command(node);
        if (vals)
                CHECK(form_values_copy(vals, &t->vals) >= 0);
        t->call = (struct action_call){
            .event = event,
            .node = node,
            .requester = "alice@example.org/phone",
            .requester_bare = "alice@example.org",
            .values = &t->vals,
            .cfg = t->cmd->action_cfg,
            .complete = on_complete,
        };
        CHECK_INT(t->cmd->action->start(&t->call), 0);
        return t;
}

static struct tcall *run(const char *node, const struct form_values *vals)
{
        struct tcall *t = tcall_start(node, vals);

        run_while_not(tcall_done, t);
        return t;
}

static void tcall_free(struct tcall *t)
{
        if (!t)
                return;
        if (!t->done)
                t->cmd->action->cancel(&t->call);
        action_result_free(t->res);
        form_values_done(&t->vals);
        free(t);
}

static const char *note_of(const struct tcall *t)
{
        return tests_result_note(t->res);
}

/* A completed call (no protocol error) whose first note contains text, of type type. */
#define CHECK_NOTE(t, kind, text)                                                                  \
        do {                                                                                       \
                CHECK((t)->res != NULL);                                                           \
                CHECK_INT((t)->res ? (t)->res->error : 1, 0);                                      \
                CHECK((t)->res && (t)->res->n_notes > 0 && (t)->res->notes[0].type == (kind));     \
                if (!strstr(note_of(t), text)) {                                                   \
                        fprintf(stderr, "%s:%d: note '%s' lacks '%s'\n", __FILE__, __LINE__,       \
                                note_of(t), text);                                                 \
                        CHECK(false);                                                              \
                }                                                                                  \
        } while (0)

/* The remote's form for the values so far. */
static struct form *remote_form(const struct form_values *vals)
{
        const struct command *c = command("mpris");
        struct action_call call = {
            .event = event, .node = "mpris", .values = vals, .cfg = c->action_cfg};
        struct form *f = NULL;

        CHECK(c->action->live);
        CHECK_INT(c->action->build_form(c->action_cfg, &call, &f), 0);
        if (!f)
                abort();
        return f;
}

/* Validates var=value pairs (NULL-terminated) against f, as the session does; *ret (emptied
 * first) holds the clean values. */
static int submit(const struct form *f, const char *const *kv, struct form_values *ret)
{
        _cleanup_(form_values_done) struct form_values sub = {0};
        _cleanup_free_ char *var = NULL, *err = NULL;
        int r;

        for (size_t i = 0; kv[i]; i += 2)
                CHECK(form_values_set(&sub, kv[i], (char *[]){(char *)kv[i + 1], NULL}, false) >=
                      0);
        form_values_done(ret);
        r = form_validate(f, &sub, ret, &var, &err);
        if (r < 0 && getenv("TEST_VERBOSE"))
                fprintf(stderr, "refused: %s\n", strempty(err));
        return r;
}

static const struct form_field *field(const struct form *f, const char *var)
{
        const struct form_field *fld = form_find_field(f, var);

        CHECK(fld != NULL);
        return fld;
}

static const char *fixed_text(const struct form *f, const char *label)
{
        for (size_t i = 0; i < f->n_fields; i++)
                if (f->fields[i].type == FORM_FIELD_FIXED &&
                    streq_ptr(i18n_pick(&f->fields[i].label, NULL), label))
                        return f->fields[i].defaults ? f->fields[i].defaults[0] : NULL;
        return NULL;
}

static bool has_option(const struct form_field *fld, const char *value)
{
        for (size_t i = 0; fld && i < fld->n_options; i++)
                if (streq(fld->options[i].value, value))
                        return true;
        return false;
}

/* ---- Setup ---- */

static void policy_setup(void)
{
        _cleanup_(ynode_freep) struct ynode *doc = NULL;
        _cleanup_free_ char *yaml = NULL;
        struct diags d = {0};

        CHECK(asprintf(&yaml,
                       "account: {jid: bot@example.org, password_file: pw}\n"
                       "access: {flat: {groups: [flatmates]}}\n"
                       "plugins:\n"
                       "  mpris:\n"
                       "    allow: flat\n"
                       "    bus: '%s'\n"
                       "    players: ['fake*']\n"
                       "    actions: [play-pause, next, previous, volume]\n"
                       "    timeout: 3s\n",
                       bus.address) > 0);
        CHECK(ynode_parse(yaml, strlen(yaml), "adhocd.yaml", &doc, &d) >= 0);
        if (policy_from_ynodes((const struct ynode *const *)&doc, 1, &policy, &d) < 0) {
                diags_print(&d, stderr);
                abort();
        }
        diags_done(&d);
}

static void feature_start(void)
{
        struct feature_host host = {.event = event};

        CHECK_INT(policy->n_features, 1);
        CHECK_INT(mpris_feature.start(&host, policy->features[0].cfg, (void **)&m), 0);
}

/* ---- Tests ---- */

static void test_no_player(void)
{
        struct form *f;
        struct tcall *t;

        t = run("mpris/play-pause", NULL);
        CHECK_NOTE(t, NOTE_ERROR, "No media player is running.");
        tcall_free(t);

        f = remote_form(NULL);
        CHECK(f->n_fields == 1 && f->fields[0].type == FORM_FIELD_FIXED);
        CHECK(f->fields[0].defaults &&
              streq(f->fields[0].defaults[0], "No media player is running."));
        form_free(f);

        /* Submitted anyway: the session ends with the note. */
        t = run("mpris", NULL);
        CHECK_NOTE(t, NOTE_ERROR, "No media player is running.");
        CHECK(t->res && t->res->close);
        tcall_free(t);
}

static struct fake a, b;

static void test_discovery(void)
{
        struct fake outside = {0}, unwanted = {0};
        struct mpris_player *p;

        /* Outside the namespace, and in it but not matching players: [fake*]. */
        fake_start(&outside, "=org.example.Impostor", NULL);
        fake_start(&unwanted, "vlc", NULL);
        fake_start(&a, "fake1", (char *[]){(char *)"--identity", (char *)"Fake One", NULL});
        wait_players(1);
        CHECK(mpris_find_player_by_name(m, unwanted.name) == NULL);
        CHECK(mpris_find_player_by_name(m, outside.name) == NULL);
        p = player_of(&a);
        if (p) {
                CHECK_STREQ(p->identity, "Fake One");
                CHECK_STREQ(p->status, "Paused");
                CHECK_STREQ(p->title, "Track 1");
                CHECK_STREQ(p->artist, "Fake Artist, Guest");
                CHECK_STREQ(p->album, "Fake Album");
                CHECK_INT(p->length, 180 * USEC_PER_SEC);
                CHECK_INT(mpris_player_volume_pct(p), 50);
                CHECK(p->can_next && p->can_previous && p->can_play && p->can_pause &&
                      p->can_seek && p->can_control);
                CHECK(p->id[0] == 'p' && !strchr(p->id, '.'));
        }
        CHECK(mpris_current_player(m) == p);
        private_bus_kill(&outside.pid);
        private_bus_kill(&unwanted.pid);
}

static void test_quick_commands(void)
{
        struct tcall *t;

        t = run("mpris/play-pause", NULL);
        CHECK_NOTE(t, NOTE_INFO, "Fake One: Playing · Track 1 — Fake Artist, Guest");
        tcall_free(t);
        CHECK_PROBE(probe_status(&a), "Playing");

        t = run("mpris/next", NULL);
        CHECK_NOTE(t, NOTE_INFO, "Track 2");
        tcall_free(t);
        CHECK_PROBE(probe_title(&a), "Track 2");

        t = run("mpris/previous", NULL);
        CHECK_NOTE(t, NOTE_INFO, "Track 1");
        tcall_free(t);
        CHECK_PROBE(probe_title(&a), "Track 1");

        t = run("mpris/volume-up", NULL);
        CHECK_NOTE(t, NOTE_INFO, "Fake One: volume 60 %");
        tcall_free(t);
        CHECK(near(probe_volume(&a), 0.6));
        t = run("mpris/volume-down", NULL);
        CHECK_NOTE(t, NOTE_INFO, "Fake One: volume 50 %");
        tcall_free(t);
        CHECK(near(probe_volume(&a), 0.5));

        t = run("mpris/now-playing", NULL);
        CHECK_NOTE(t, NOTE_INFO, "Fake One: Playing · Track 1");
        CHECK(t->res && t->res->form && t->res->form->n_fields >= 5);
        if (t->res && t->res->form)
                for (size_t i = 0; i < t->res->form->n_fields; i++)
                        if (streq_ptr(t->res->form->fields[i].var, "title"))
                                CHECK_STREQ(t->res->form->fields[i].values[0], "Track 1");
        tcall_free(t);

        t = run("mpris/play-pause", NULL);
        CHECK_NOTE(t, NOTE_INFO, "Fake One: Paused");
        tcall_free(t);
        CHECK_PROBE(probe_status(&a), "Paused");

        /* Only what actions: allows is generated. */
        CHECK(policy_find_command(policy, "mpris/stop") == NULL);
        CHECK(policy_find_command(policy, "mpris/seek") == NULL);
}

static void test_current_player(void)
{
        struct tcall *t;

        fake_start(&b, "fake2", (char *[]){(char *)"--identity", (char *)"Fake Two", NULL});
        wait_players(2);
        /* a played last. */
        CHECK(mpris_current_player(m) == player_of(&a));
        probe_call(&b, "Play");
        wait_status(&b, "Playing");
        CHECK(mpris_current_player(m) == player_of(&b));
        probe_call(&a, "Play");
        wait_status(&a, "Playing");
        CHECK(mpris_current_player(m) == player_of(&a)); /* the last to start */
        probe_call(&a, "Pause");
        wait_status(&a, "Paused");
        CHECK(mpris_current_player(m) == player_of(&b)); /* the one still playing */
        probe_call(&b, "Pause");
        wait_status(&b, "Paused");
        CHECK(mpris_current_player(m) == player_of(&b)); /* the last one playing */

        /* Quick commands act on it. */
        t = run("mpris/play-pause", NULL);
        CHECK_NOTE(t, NOTE_INFO, "Fake Two: Playing");
        tcall_free(t);
        CHECK_PROBE(probe_status(&b), "Playing");
        CHECK_PROBE(probe_status(&a), "Paused");
        t = run("mpris/play-pause", NULL);
        tcall_free(t);
        CHECK_PROBE(probe_status(&b), "Paused");
}

static void test_remote(void)
{
        _cleanup_(form_values_done) struct form_values chosen = {0}, v = {0};
        struct mpris_player *pa = player_of(&a), *pb = player_of(&b);
        const struct form_field *fld;
        struct form *f;
        struct tcall *t;

        if (!pa || !pb)
                return;
        /* Stage 1: the players by their opaque ids, the current one preselected. */
        f = remote_form(NULL);
        CHECK_STREQ(i18n_pick(&f->title, NULL), "Media remote");
        fld = field(f, "player");
        CHECK(fld && fld->type == FORM_FIELD_LIST_SINGLE && fld->n_options == 2);
        CHECK(has_option(fld, pa->id) && has_option(fld, pb->id));
        CHECK(fld && fld->defaults && streq(fld->defaults[0], pb->id));
        CHECK(fld && fld->n_options == 2 &&
              streq(i18n_pick(&fld->options[0].label, NULL), "Fake One · Paused"));
        /* A bus name, or an id never offered, is refused. */
        CHECK_INT(submit(f, (const char *[]){"player", a.name, NULL}, &v), -EINVAL);
        CHECK_INT(submit(f, (const char *[]){"player", "p999999", NULL}, &v), -EINVAL);
        CHECK_INT(submit(f, (const char *[]){"player", pa->id, NULL}, &chosen), 0);
        form_free(f);
        t = run("mpris", &chosen);
        CHECK(t->res && t->res->error == 0 && t->res->n_notes == 0 && !t->res->close);
        tcall_free(t);

        /* Stage 2: the remote of the chosen player. */
        f = remote_form(&chosen);
        CHECK_STREQ(i18n_pick(&f->title, NULL), "Fake One");
        CHECK_STREQ(fixed_text(f, "Now playing"), "Track 1 — Fake Artist, Guest");
        CHECK_STREQ(fixed_text(f, "Album"), "Fake Album");
        CHECK(fixed_text(f, "Status") && !strncmp(fixed_text(f, "Status"), "Paused · ", 9));
        CHECK(fixed_text(f, "Status") && strstr(fixed_text(f, "Status"), " / 3:00"));
        CHECK_STREQ(fixed_text(f, "Volume"), "50 %");
        fld = field(f, "player");
        CHECK(fld && fld->type == FORM_FIELD_HIDDEN && streq(fld->defaults[0], pa->id));
        fld = field(f, "action");
        CHECK(fld && fld->type == FORM_FIELD_LIST_SINGLE && streq(fld->defaults[0], "play-pause"));
        CHECK(has_option(fld, "play-pause") && has_option(fld, "next") &&
              has_option(fld, "previous") && has_option(fld, "volume") &&
              has_option(fld, "volume-up") && has_option(fld, "players"));
        CHECK(!has_option(fld, "stop") && !has_option(fld, "seek-forward") &&
              !has_option(fld, "seek-back"));
        fld = field(f, "volume");
        CHECK(fld && fld->validate.datatype == FORM_DT_INTEGER && streq(fld->defaults[0], "50"));
        /* Forged: actions outside actions:, a volume out of range. */
        CHECK_INT(submit(f, (const char *[]){"action", "stop", NULL}, &v), -EINVAL);
        CHECK_INT(submit(f, (const char *[]){"action", "seek-forward", NULL}, &v), -EINVAL);
        CHECK_INT(submit(f, (const char *[]){"action", "volume", "volume", "150", NULL}, &v),
                  -EINVAL);
        CHECK_INT(submit(f, (const char *[]){"action", "volume", "volume", "-1", NULL}, &v),
                  -EINVAL);
        /* The player comes from the form, whatever is sent back. */
        CHECK_INT(submit(f, (const char *[]){"player", pb->id, "action", "next", NULL}, &v), 0);
        CHECK_STREQ(form_values_first(&v, "player"), pa->id);
        form_free(f);

        t = run("mpris", &v);
        CHECK_NOTE(t, NOTE_INFO, "Fake One: Paused · Track 2");
        CHECK(!t->res->close);
        tcall_free(t);
        CHECK_PROBE(probe_title(&a), "Track 2");
        CHECK_PROBE(probe_title(&b), "Track 1");

        /* The refreshed remote: the new state, the last action preselected. */
        f = remote_form(&v);
        CHECK_STREQ(fixed_text(f, "Now playing"), "Track 2 — Fake Artist, Guest");
        fld = field(f, "action");
        CHECK(fld && streq(fld->defaults[0], "next"));
        form_values_done(&v);
        CHECK_INT(submit(f, (const char *[]){"action", "volume", "volume", "30", NULL}, &v), 0);
        form_free(f);
        t = run("mpris", &v);
        CHECK_NOTE(t, NOTE_INFO, "Fake One: volume 30 %");
        tcall_free(t);
        CHECK(near(probe_volume(&a), 0.3));

        /* Other player: back to the choice, the current one preselected. */
        f = remote_form(&v);
        form_values_done(&v);
        CHECK_INT(submit(f, (const char *[]){"action", "players", NULL}, &v), 0);
        form_free(f);
        t = run("mpris", &v);
        CHECK(t->res && t->res->n_notes == 0 && !t->res->close);
        tcall_free(t);
        f = remote_form(&v);
        fld = field(f, "player");
        CHECK(fld && fld->type == FORM_FIELD_LIST_SINGLE && streq(fld->defaults[0], pa->id));
        form_free(f);
}

static const char *id_of(const struct fake *f)
{
        const struct mpris_player *p = player_of(f);

        return p ? p->id : "none";
}

static void test_capabilities(void)
{
        _cleanup_(form_values_done) struct form_values v = {0};
        struct fake stuck = {0}, locked = {0};
        struct tcall *t;
        struct form *f;

        fake_start(&stuck, "fake3",
                   (char *[]){(char *)"--identity", (char *)"Stuck", (char *)"--no", (char *)"next",
                              (char *)"--no", (char *)"pause", (char *)"--status",
                              (char *)"Playing", NULL});
        fake_start(&locked, "fake4",
                   (char *[]){(char *)"--identity", (char *)"Locked", (char *)"--no",
                              (char *)"control", NULL});
        wait_players(4);

        f = remote_form(NULL);
        CHECK_INT(submit(f, (const char *[]){"player", id_of(&stuck), NULL}, &v), 0);
        form_free(f);
        f = remote_form(&v);
        form_values_done(&v);
        CHECK_INT(submit(f, (const char *[]){"action", "next", NULL}, &v), 0);
        t = run("mpris", &v);
        CHECK_NOTE(t, NOTE_ERROR, "Stuck cannot skip to the next track (CanGoNext is false).");
        CHECK(!t->res->close);
        tcall_free(t);
        CHECK_PROBE(probe_title(&stuck), "Track 1");
        form_values_done(&v);
        CHECK_INT(submit(f, (const char *[]){"action", "play-pause", NULL}, &v), 0);
        form_free(f);
        t = run("mpris", &v);
        CHECK_NOTE(t, NOTE_ERROR, "Stuck cannot pause (CanPause is false).");
        tcall_free(t);
        CHECK_PROBE(probe_status(&stuck), "Playing");

        form_values_done(&v);
        f = remote_form(NULL);
        CHECK_INT(submit(f, (const char *[]){"player", id_of(&locked), NULL}, &v), 0);
        form_free(f);
        f = remote_form(&v);
        form_values_done(&v);
        CHECK_INT(submit(f, (const char *[]){"action", "volume-up", NULL}, &v), 0);
        form_free(f);
        t = run("mpris", &v);
        CHECK_NOTE(t, NOTE_ERROR, "Locked cannot be controlled (CanControl is false).");
        tcall_free(t);
        CHECK(near(probe_volume(&locked), 0.5));

        private_bus_kill(&stuck.pid);
        private_bus_kill(&locked.pid);
        wait_players(2);
}

static void test_player_quits(void)
{
        _cleanup_(form_values_done) struct form_values v = {0}, old = {0};
        struct tcall *t;
        struct form *f;

        /* The remote of a, which quits before the next action. */
        f = remote_form(NULL);
        CHECK_INT(submit(f, (const char *[]){"player", id_of(&a), NULL}, &old), 0);
        form_free(f);
        f = remote_form(&old);
        CHECK_INT(submit(f, (const char *[]){"action", "next", NULL}, &v), 0);
        form_free(f);
        private_bus_kill(&a.pid);
        wait_players(1);
        t = run("mpris", &v);
        CHECK_NOTE(t, NOTE_ERROR, "Fake One has quit.");
        CHECK(!t->res->close);
        tcall_free(t);
        /* The form offers what remains: here the remote of the only other player. */
        f = remote_form(&v);
        CHECK_STREQ(i18n_pick(&f->title, NULL), "Fake Two");
        form_free(f);

        /* It comes back (a new id): the old id designates nothing, the choice is offered. */
        fake_start(&a, "fake1", (char *[]){(char *)"--identity", (char *)"Fake One", NULL});
        wait_players(2);
        CHECK(!streq(id_of(&a), form_values_first(&old, "player")));
        f = remote_form(&v);
        CHECK(field(f, "player") && field(f, "player")->type == FORM_FIELD_LIST_SINGLE);
        CHECK(!has_option(field(f, "player"), form_values_first(&old, "player")));
        form_free(f);

        /* The last player quits: the session ends with the note. */
        form_values_done(&v);
        f = remote_form(NULL);
        CHECK_INT(submit(f, (const char *[]){"player", id_of(&b), NULL}, &old), 0);
        form_free(f);
        f = remote_form(&old);
        CHECK_INT(submit(f, (const char *[]){"action", "play-pause", NULL}, &v), 0);
        form_free(f);
        private_bus_kill(&a.pid);
        private_bus_kill(&b.pid);
        wait_players(0);
        t = run("mpris", &v);
        CHECK_NOTE(t, NOTE_ERROR, "Fake Two has quit. No other player is running.");
        CHECK(t->res && t->res->close);
        tcall_free(t);
}

static void test_timeout_and_cancel(void)
{
        char id[MPRIS_ID_MAX];
        struct fake slow = {0};
        struct tcall *t;

        fake_start(&slow, "fake5",
                   (char *[]){(char *)"--identity", (char *)"Slow", (char *)"--hang",
                              (char *)"Next", NULL});
        wait_players(1);
        t = run("mpris/next", NULL);
        CHECK_NOTE(t, NOTE_ERROR, "Slow did not answer within 3 s.");
        tcall_free(t);

        /* Cancelled while waiting: never completes, and the player still answers others. */
        t = tcall_start("mpris/next", NULL);
        tcall_free(t);
        t = run("mpris/play-pause", NULL);
        CHECK_NOTE(t, NOTE_INFO, "Slow: Playing");
        tcall_free(t);

        /* The feature stops (a reload) with a call in flight: it ends, with a note. */
        snprintf(id, sizeof(id), "%s", id_of(&slow));
        t = tcall_start("mpris/next", NULL);
        mpris_feature.stop(m);
        m = NULL;
        CHECK(t->done);
        CHECK_NOTE(t, NOTE_ERROR, "The media remote was restarted; try again.");
        CHECK(t->res && t->res->close);
        tcall_free(t);
        CHECK(!command_is_available(command("mpris")));
        CHECK(!command_is_available(command("mpris/next")));

        /* Started again: the player is found again, with the same id (open remotes go on). */
        feature_start();
        CHECK(command_is_available(command("mpris")));
        wait_players(1);
        CHECK_STREQ(id_of(&slow), id);
        private_bus_kill(&slow.pid);
        wait_players(0);
}

static void test_hostile_text(void)
{
        struct fake weird = {0};
        struct tcall *t;

        /* A control character and a line break from a player never reach a form or a note. */
        fake_start(&weird, "fake7",
                   (char *[]){(char *)"--identity", (char *)"We\x1bird", (char *)"--title",
                              (char *)"Line\none\x01", NULL});
        wait_players(1);
        t = run("mpris/now-playing", NULL);
        CHECK_NOTE(t, NOTE_INFO, "We\xef\xbf\xbdird: Paused · Line one\xef\xbf\xbd — Fake Artist");
        tcall_free(t);
        private_bus_kill(&weird.pid);
        wait_players(0);
}

static void test_bus_lost(void)
{
        struct fake c = {0};

        fake_start(&c, "fake6", NULL);
        wait_players(1);
        /* The bus goes: every player with it. */
        private_bus_stop(&bus);
        private_bus_kill(&c.pid);
        wait_players(0);
        /* It comes back: the remote reconnects and finds the players again. */
        private_bus_start(&bus);
        probe_connect();
        fake_start(&c, "fake6", NULL);
        wait_players(1);
        private_bus_kill(&c.pid);
        wait_players(0);
}

int main(void)
{
        signal(SIGPIPE, SIG_IGN);
        private_bus_init(&bus, "mpris", NULL);
        CHECK(sd_event_new(&event) >= 0);
        private_bus_start(&bus);
        probe_connect();
        policy_setup();
        feature_start();

        test_no_player();
        test_discovery();
        test_quick_commands();
        test_current_player();
        test_remote();
        test_capabilities();
        test_player_quits();
        test_timeout_and_cancel();
        test_hostile_text();
        test_bus_lost();

        mpris_feature.stop(m);
        dbus_buses_shutdown();
        policy_free(policy);
        sd_bus_flush_close_unref(probe);
        private_bus_stop(&bus);
        sd_event_unref(event);
        private_bus_done(&bus);
        return TESTS_RESULT();
}
