/* SPDX-License-Identifier: MIT */
/*
 * dbus_expose: commands generated from one policy entry, one per listed method. Loading is
 * checked without any bus; then, against a private dbus-daemon and tests/dbus/test-service
 * (started, stopped and restarted by this test), the commands are driven the way the engine
 * drives them: available() as disco asks, build_form(), form_validate() against the form the
 * session would keep, then start() on an sd-event loop. Outcomes and their order are asserted,
 * never durations; the loop only gives up on a hung test after a generous limit.
 */
#include <signal.h>
#include <stddef.h>
#include <stdio.h>

#include "dbus.h"
#include "plugins.h"
#include "policy-helpers.h"
#include "private-bus.h"
#include "result-helpers.h"

#define HANG_LIMIT (60 * USEC_PER_SEC) /* only to end a broken test */

static sd_event *event;
static struct private_bus bus;
static pid_t service_pid;
static struct diags d;

/* ---- The loop ---- */

/* Runs the loop until the command's availability is want, asking as disco does. */
static bool run_until_available(const struct command *c, bool want)
{
        usec_t deadline = now_usec(CLOCK_MONOTONIC) + HANG_LIMIT;

        while (command_is_available(c) != want) {
                if (now_usec(CLOCK_MONOTONIC) > deadline) {
                        fprintf(stderr, "test hung waiting for %s to be %s\n", c->node,
                                want ? "available" : "hidden");
                        return false;
                }
                CHECK(sd_event_run(event, 100 * USEC_PER_MSEC) >= 0);
        }
        return true;
}

/* Lets the loop run for a while (n short rounds), for "still hidden" checks. */
static void run_rounds(unsigned n)
{
        for (unsigned i = 0; i < n; i++)
                CHECK(sd_event_run(event, 20 * USEC_PER_MSEC) >= 0);
}

/* ---- Policies ---- */

#define ACCOUNT "account: {jid: bot@example.org, password_file: pw}\n"

static bool has_error(const char *msg)
{
        return tests_has_diag(&d, DIAG_ERROR, NULL, 0, 0, msg);
}

static void fails(const char *expose, const char *msg)
{
        _cleanup_free_ char *yaml = NULL;
        struct policy *p = NULL;

        CHECK(asprintf(&yaml,
                       ACCOUNT "commands:\n"
                               "  - node: t\n"
                               "    name: T\n"
                               "    allow: {groups: [g]}\n"
                               "%s",
                       expose) > 0);
        CHECK_INT(tests_policy_from_yaml(yaml, NULL, &p, &d), -EINVAL);
        CHECK(p == NULL);
        CHECK(has_error(msg));
        policy_free(p);
}

static const char methods[] = "[EchoI, EchoY, EchoT, EchoB, EchoO, EchoAS, Multi, GetPair, "
                              "Flex, Slow, Hang, DescribeV, TakeFd, Missing]";

/* A policy with one dbus_expose entry on the test service: head is the entry's node, name and
 * access (YAML lines), then methods, then more commands (tail). */
static struct policy *expose_policy(const char *head, const char *methods_yaml, const char *tail)
{
        _cleanup_free_ char *yaml = NULL;
        struct policy *p = NULL;

        CHECK(asprintf(&yaml,
                       ACCOUNT "commands:\n"
                               "%s"
                               "    dbus_expose:\n"
                               "      bus: '%s'\n"
                               "      destination: org.adhocd.Test\n"
                               "      path: /org/adhocd/Test1\n"
                               "      interface: org.adhocd.Test1\n"
                               "      timeout: 500ms\n"
                               "      methods: %s\n"
                               "%s",
                       head, bus.address, methods_yaml, tail) > 0);
        CHECK_INT(tests_policy_from_yaml(yaml, NULL, &p, &d), 0);
        if (!p)
                diags_print(&d, stderr);
        return p;
}

/* The policy of the bus tests: every listed method of the test service, as "t/<Method>". */
static struct policy *test_policy(void)
{
        return expose_policy("  - node: t\n"
                             "    name: Test\n"
                             "    allow: {groups: [g]}\n",
                             methods, "");
}

static const struct command *cmd(const struct policy *p, const char *method)
{
        _cleanup_free_ char *node = NULL;
        const struct command *c;

        CHECK(asprintf(&node, "t/%s", method) > 0);
        c = policy_find_command(p, node);
        if (!c) {
                fprintf(stderr, "no command %s\n", node);
                abort();
        }
        return c;
}

/* ---- Loading ---- */

static void test_load(void)
{
        struct policy *p = NULL;
        const struct command *c;

        CHECK_INT(tests_policy_from_yaml(ACCOUNT "commands:\n"
                                                 "  - node: player\n"
                                                 "    name: {en: Player, fr: Lecteur}\n"
                                                 "    allow: {groups: [flatmates]}\n"
                                                 "    deny: {jids: [eve@example.org]}\n"
                                                 "    confirm: 'Sure, {from_bare}?'\n"
                                                 "    dbus_expose:\n"
                                                 "      destination: org.mpris.MediaPlayer2.vlc\n"
                                                 "      path: /org/mpris/MediaPlayer2\n"
                                                 "      interface: org.mpris.MediaPlayer2.Player\n"
                                                 "      methods: [PlayPause, Seek]\n"
                                                 "  - node: other\n"
                                                 "    name: Other\n"
                                                 "    allow: {groups: [flatmates]}\n"
                                                 "    reply: hi\n",
                                         NULL, &p, &d),
                  0);
        if (!p) {
                diags_print(&d, stderr);
                return;
        }
        /* The entry stands for its methods only. */
        CHECK_INT(p->n_commands, 3);
        CHECK(policy_find_command(p, "player") == NULL);
        c = policy_find_command(p, "player/Seek");
        CHECK(c != NULL);
        if (c) {
                CHECK_STREQ(i18n_pick(&c->name, "en"), "Player: Seek");
                CHECK_STREQ(i18n_pick(&c->name, "fr"), "Lecteur: Seek");
                CHECK(c->has_allow && strv_contains(c->allow.groups, "flatmates"));
                CHECK(strv_contains(c->deny.jids, "eve@example.org"));
                CHECK_STREQ(i18n_pick(&c->confirm, "en"), "Sure, {from_bare}?");
                CHECK(c->form == NULL && c->action->build_form && c->action->available);
        }
        CHECK(policy_find_command(p, "player/PlayPause") != NULL);
        /* Loading connected to nothing: a bus is only looked at when a command is. */
        policy_free(p);

        fails("    dbus_expose: {destination: a.b, path: /, interface: a.b}\n",
              "dbus_expose: needs 'methods:'");
        fails("    dbus_expose: {destination: a.b, path: /, interface: a.b, methods: [X, '*']}\n",
              "write it alone");
        fails("    dbus_expose: {destination: a.b, path: /, interface: a.b, methods: []}\n",
              "methods: lists no method");
        fails("    dbus_expose: {destination: a.b, path: /, interface: a.b, methods: [X, X]}\n",
              "method 'X' is listed twice");
        fails("    dbus_expose: {destination: a.b, path: /, interface: a.b, methods: [a.b]}\n",
              "'a.b' is not a valid D-Bus method name");
        fails("    dbus_expose: {path: /, interface: a.b, methods: [X]}\n",
              "dbus_expose: needs 'destination:'");
        fails("    dbus_expose: {destination: a.b, path: /, interface: a.b, methods: [X], "
              "method: Y}\n",
              "unknown key 'method'");
        fails("    form: {fields: [{var: x}]}\n"
              "    dbus_expose: {destination: a.b, path: /, interface: a.b, methods: [X]}\n",
              "remove the entry's form:");
        /* A generated node is checked like a written one. */
        fails("    dbus_expose: {destination: a.b, path: /, interface: a.b, methods: [X]}\n"
              "  - node: t/X\n"
              "    name: Twice\n"
              "    allow: {groups: [g]}\n"
              "    reply: hi\n",
              "duplicate node 't/X'");
        /* Without form fields, a confirmation can only use the built-in variables. */
        fails("    confirm: 'Really {value}?'\n"
              "    dbus_expose: {destination: a.b, path: /, interface: a.b, methods: [X]}\n",
              "value");
        diags_done(&d);
}

static void test_load_every(void)
{
        static const char *const spellings[] = {"'*'", "['*']"};

        for (size_t i = 0; i < ELEMENTSOF(spellings); i++) {
                _cleanup_free_ char *yaml = NULL;
                struct policy *p = NULL;

                CHECK(asprintf(&yaml,
                               ACCOUNT "commands:\n"
                                       "  - node: player\n"
                                       "    name: Player\n"
                                       "    allow: {groups: [g]}\n"
                                       "    dbus_expose: {destination: a.b, path: /, interface: "
                                       "a.b, methods: %s}\n",
                               spellings[i]) > 0);
                CHECK_INT(tests_policy_from_yaml(yaml, NULL, &p, &d), 0);
                if (!p) {
                        diags_print(&d, stderr);
                        continue;
                }
                /* One providing entry, which is not a command itself. */
                CHECK_INT(p->n_commands, 1);
                CHECK(command_is_provider(&p->commands[0]));
                CHECK(policy_find_command(p, "player") == NULL);
                policy_free(p);
        }
}

/* ---- Calls ---- */

struct tcall {
        struct action_call call;
        const struct command *cmd;
        struct form *form;
        struct form_values clean;
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

/* The language of the requests the tests make. */
static const char *call_lang = "en";

static struct action_call call_for(const struct command *c, const struct form_values *values)
{
        return (struct action_call){
            .event = event,
            .node = c->node,
            .requester = "alice@example.org/phone",
            .requester_bare = "alice@example.org",
            .lang = call_lang,
            .values = values,
            .cfg = c->action_cfg,
            .complete = on_complete,
        };
}

/* The form stage: builds the form a session would keep. */
static struct tcall *tcall_new(const struct command *c)
{
        struct tcall *t = zalloc(sizeof(*t));
        struct action_call call;

        if (!t)
                abort();
        call = call_for(c, &t->clean);
        t->cmd = c;
        CHECK_INT(c->action->build_form(c->action_cfg, &call, &t->form), 0);
        return t;
}

/* Submits vars/values (NULL-terminated pairs) against the kept form; returns form_validate(). */
static int tcall_submit(struct tcall *t, const char *const *pairs, char **ret_error)
{
        _cleanup_(form_values_done) struct form_values sub = {0};
        _cleanup_free_ char *var = NULL;

        for (size_t i = 0; pairs && pairs[i]; i += 2)
                CHECK(form_values_set(&sub, pairs[i], (char *[]){(char *)pairs[i + 1], NULL},
                                      false) >= 0);
        form_values_done(&t->clean);
        return form_validate(t->form, &sub, &t->clean, &var, ret_error);
}

static void tcall_start(struct tcall *t)
{
        t->call = call_for(t->cmd, &t->clean);
        CHECK_INT(t->cmd->action->start(&t->call), 0);
}

static void tcall_free(struct tcall *t)
{
        if (!t)
                return;
        if (!t->done && t->call.complete)
                t->cmd->action->cancel(&t->call);
        action_result_free(t->res);
        form_values_done(&t->clean);
        form_free(t->form);
        free(t);
}

/* Builds the form, submits pairs, runs the call; returns the finished call. */
static struct tcall *run(const struct command *c, const char *const *pairs)
{
        _cleanup_free_ char *err = NULL;
        struct tcall *t = tcall_new(c);

        if (!t->form)
                return t;
        CHECK_INT(tcall_submit(t, pairs, &err), 0);
        if (err)
                fprintf(stderr, "  refused: %s\n", err);
        tcall_start(t);
        private_bus_run_until_set(event, &t->done);
        return t;
}

static const char *value_of(const struct tcall *t, const char *var)
{
        return tests_result_value(t->res, var);
}

static const char *note_of(const struct tcall *t)
{
        return tests_result_note(t->res);
}

static bool note_has(const struct tcall *t, const char *text)
{
        if (strstr(note_of(t), text))
                return true;
        fprintf(stderr, "  note '%s' lacks '%s'\n", note_of(t), text);
        return false;
}

#define CHECK_SUCCESS(t)                                                                           \
        do {                                                                                       \
                CHECK((t)->res && !action_result_failed((t)->res));                                \
                if ((t)->res && action_result_failed((t)->res))                                    \
                        fprintf(stderr, "  failed: %d %s\n", (t)->res->error, note_of(t));         \
        } while (0)

static const struct form_field *field(const struct tcall *t, const char *var)
{
        return form_find_field(t->form, var);
}

/* ---- Tests against the bus ---- */

static void test_follows_service(struct policy *p)
{
        /* No service yet: nothing is shown, however long one waits. */
        CHECK(!command_is_available(cmd(p, "EchoI")));
        run_rounds(20);
        CHECK(!command_is_available(cmd(p, "EchoI")));

        /* It appears: the commands of the methods it has follow. */
        service_pid = private_bus_spawn_test_service(&bus, 1);
        CHECK(run_until_available(cmd(p, "EchoI"), true));
        CHECK(command_is_available(cmd(p, "GetPair")));
        CHECK(command_is_available(cmd(p, "EchoAS")));
        /* Methods whose arguments a form cannot carry, and methods it does not have. */
        CHECK(!command_is_available(cmd(p, "DescribeV")));
        CHECK(!command_is_available(cmd(p, "TakeFd")));
        CHECK(!command_is_available(cmd(p, "Missing")));
        /* Methods it has but the policy does not list have no command at all. */
        CHECK(policy_find_command(p, "t/Fail") == NULL);
        CHECK(policy_find_command(p, "t/EchoS") == NULL);

        /* It goes, and comes back. */
        private_bus_kill(&service_pid);
        CHECK(run_until_available(cmd(p, "EchoI"), false));
        CHECK(!command_is_available(cmd(p, "GetPair")));
        service_pid = private_bus_spawn_test_service(&bus, 1);
        CHECK(run_until_available(cmd(p, "EchoI"), true));
}

static void test_forms(struct policy *p)
{
        const struct form_field *f;
        struct tcall *t;

        t = tcall_new(cmd(p, "EchoI"));
        CHECK_STREQ(i18n_pick(&t->form->title, NULL), "Test: EchoI");
        f = field(t, "value");
        CHECK(f && f->type == FORM_FIELD_TEXT_SINGLE && f->required &&
              f->validate.datatype == FORM_DT_INT);
        CHECK(f && streq(i18n_pick(&f->label, NULL), "value"));
        f = field(t, "dbus.signature");
        CHECK(f && f->type == FORM_FIELD_HIDDEN && streq(f->defaults[0], "i"));
        f = field(t, "dbus.args");
        CHECK(f && f->type == FORM_FIELD_HIDDEN && streq(f->defaults[0], "value"));
        tcall_free(t);

        t = tcall_new(cmd(p, "EchoY"));
        f = field(t, "value");
        CHECK(f && f->validate.datatype == FORM_DT_INTEGER && streq_ptr(f->validate.min, "0") &&
              streq_ptr(f->validate.max, "255"));
        tcall_free(t);

        t = tcall_new(cmd(p, "EchoT"));
        f = field(t, "value");
        CHECK(f && streq_ptr(f->validate.max, "18446744073709551615"));
        tcall_free(t);

        t = tcall_new(cmd(p, "EchoB"));
        f = field(t, "value");
        CHECK(f && f->type == FORM_FIELD_BOOLEAN && streq(f->defaults[0], "0"));
        tcall_free(t);

        t = tcall_new(cmd(p, "EchoO"));
        f = field(t, "value");
        CHECK(f && f->required && f->validate.has_regex);
        tcall_free(t);

        t = tcall_new(cmd(p, "EchoAS"));
        f = field(t, "value");
        CHECK(f && f->type == FORM_FIELD_TEXT_MULTI && !f->required);
        tcall_free(t);

        /* Two arguments, two fields, in order. */
        t = tcall_new(cmd(p, "Multi"));
        CHECK(t->form->n_fields == 4);
        CHECK(streq(t->form->fields[0].var, "text") && streq(t->form->fields[1].var, "number"));
        CHECK(t->form->fields[1].validate.datatype == FORM_DT_INT);
        tcall_free(t);

        /* No argument: a form with the hidden fields only, and says so. */
        t = tcall_new(cmd(p, "GetPair"));
        CHECK(t->form->n_fields == 2);
        CHECK(strstr(i18n_pick(&t->form->instructions, NULL), "no arguments") != NULL);
        tcall_free(t);

        /* A French requester's form: the agent's words in French, the names as they are. */
        call_lang = "fr";
        t = tcall_new(cmd(p, "GetPair"));
        CHECK_STREQ(i18n_pick(&t->form->instructions, NULL),
                    "Appelle org.adhocd.Test1.GetPair sur org.adhocd.Test. Cette méthode ne prend "
                    "aucun argument.");
        tcall_free(t);
        t = tcall_new(cmd(p, "EchoAS"));
        f = field(t, "value");
        CHECK(f && streq(i18n_pick(&f->desc, NULL), "Type D-Bus « as » : un élément par ligne"));
        tcall_free(t);
        call_lang = "en";
}

static void test_calls(struct policy *p)
{
        _cleanup_free_ char *err = NULL;
        struct tcall *t;

        t = run(cmd(p, "EchoI"), (const char *[]){"value", "-42", NULL});
        CHECK_SUCCESS(t);
        CHECK_STREQ(value_of(t, "echoed"), "-42");
        tcall_free(t);

        t = run(cmd(p, "EchoT"), (const char *[]){"value", "18446744073709551615", NULL});
        CHECK_STREQ(value_of(t, "echoed"), "18446744073709551615");
        tcall_free(t);

        t = run(cmd(p, "EchoB"), (const char *[]){"value", "true", NULL});
        CHECK_STREQ(value_of(t, "echoed"), "true");
        tcall_free(t);

        t = run(cmd(p, "EchoO"), (const char *[]){"value", "/a/b_c", NULL});
        CHECK_STREQ(value_of(t, "echoed"), "/a/b_c");
        tcall_free(t);

        /* A text-multi: one element per line. */
        t = run(cmd(p, "EchoAS"), (const char *[]){"value", "red\ngreen\nblue", NULL});
        CHECK_SUCCESS(t);
        CHECK(tests_result_field(t->res, "echoed") &&
              strv_length(tests_result_field(t->res, "echoed")->values) == 3);
        tcall_free(t);

        t = run(cmd(p, "Multi"), (const char *[]){"text", "x", "number", "21", NULL});
        CHECK_STREQ(value_of(t, "doubled"), "42");
        tcall_free(t);

        t = run(cmd(p, "GetPair"), NULL);
        CHECK_SUCCESS(t);
        tcall_free(t);

        /* Values that do not fit are refused by the form, naming the field. */
        t = tcall_new(cmd(p, "EchoY"));
        CHECK_INT(tcall_submit(t, (const char *[]){"value", "256", NULL}, &err), -EINVAL);
        CHECK(err && strstr(err, "value") && strstr(err, "maximum 255"));
        tcall_free(t);
        free(err);
        err = NULL;
        t = tcall_new(cmd(p, "EchoO"));
        CHECK_INT(tcall_submit(t, (const char *[]){"value", "not/a/path", NULL}, &err), -EINVAL);
        CHECK(err && strstr(err, "value"));
        tcall_free(t);
        free(err);
        err = NULL;
        t = tcall_new(cmd(p, "EchoI"));
        CHECK_INT(tcall_submit(t, NULL, &err), -EINVAL);
        CHECK(err && strstr(err, "value is required"));
        tcall_free(t);

        /* The hidden fields come from the kept form, whatever the requester sends. */
        t = tcall_new(cmd(p, "EchoI"));
        CHECK_INT(tcall_submit(t,
                               (const char *[]){"value", "7", "dbus.signature", "s", "dbus.args",
                                                "other", NULL},
                               NULL),
                  0);
        CHECK_STREQ(form_values_first(&t->clean, "dbus.signature"), "i");
        tcall_start(t);
        private_bus_run_until_set(event, &t->done);
        CHECK_STREQ(value_of(t, "echoed"), "7");
        tcall_free(t);

        /* A timeout (500ms in the policy) is an error note, and nothing else breaks. */
        t = run(cmd(p, "Hang"), NULL);
        CHECK(t->res && t->res->error == 0 && note_has(t, "did not answer within 500ms"));
        tcall_free(t);
}

static void test_changed_method(struct policy *p)
{
        struct tcall *old, *t;

        /* A form shown for generation 1 (Flex takes an s)... */
        old = tcall_new(cmd(p, "Flex"));
        CHECK(field(old, "value") && field(old, "value")->validate.datatype == FORM_DT_STRING);
        CHECK_INT(tcall_submit(old, (const char *[]){"value", "abc", NULL}, NULL), 0);

        /* ...is submitted after the service restarted as generation 2 (Flex takes a u). */
        private_bus_kill(&service_pid);
        CHECK(run_until_available(cmd(p, "Flex"), false));
        service_pid = private_bus_spawn_test_service(&bus, 2);
        CHECK(run_until_available(cmd(p, "Flex"), true));
        tcall_start(old);
        private_bus_run_until_set(event, &old->done);
        CHECK(old->res && old->res->error == 0 && note_has(old, "changed since its form was sent"));
        tcall_free(old);

        /* A new form follows the new signature. */
        t = tcall_new(cmd(p, "Flex"));
        CHECK(field(t, "value") && field(t, "value")->validate.datatype == FORM_DT_UNSIGNED_INT);
        tcall_free(t);
        t = run(cmd(p, "Flex"), (const char *[]){"value", "7", NULL});
        CHECK_STREQ(value_of(t, "number"), "7");
        tcall_free(t);
}

static void test_cancel_and_shared_state(struct policy *p)
{
        struct policy *again;
        struct tcall *slow, *quick;

        /* A cancelled call never completes; another one answers meanwhile. */
        slow = tcall_new(cmd(p, "Slow"));
        CHECK_INT(tcall_submit(slow, (const char *[]){"milliseconds", "60000", NULL}, NULL), 0);
        tcall_start(slow);
        quick = run(cmd(p, "EchoI"), (const char *[]){"value", "1", NULL});
        CHECK_STREQ(value_of(quick, "echoed"), "1");
        CHECK(!slow->done);
        tcall_free(slow); /* cancels */
        tcall_free(quick);

        /* A reloaded policy shares what is known: its commands are there at once. */
        again = test_policy();
        if (again) {
                CHECK(command_is_available(cmd(again, "EchoI")));
                policy_free(again);
        }
        CHECK(command_is_available(cmd(p, "EchoI")));
}

static void test_bus_lost(struct policy *p)
{
        /* The bus goes: everything is hidden; it comes back with the service: shown again. */
        private_bus_stop(&bus);
        private_bus_kill(&service_pid);
        CHECK(run_until_available(cmd(p, "EchoI"), false));
        private_bus_start(&bus);
        service_pid = private_bus_spawn_test_service(&bus, 1);
        CHECK(run_until_available(cmd(p, "EchoI"), true));
}

/* ---- Every method ("*") ---- */

static void collect_available(const struct command *c, void *userdata)
{
        char ***nodes = userdata;

        if (command_is_available(c))
                CHECK(strv_extend(nodes, c->node) >= 0);
}

/* The nodes disco would list (to anyone allowed), as a strv. */
static char **listed(const struct policy *p)
{
        char **nodes = NULL;

        policy_foreach_command(p, NULL, collect_available, &nodes);
        return nodes;
}

static bool listed_has(const struct policy *p, const char *node)
{
        _cleanup_strv_free_ char **nodes = listed(p);

        return strv_contains(nodes, node);
}

static bool run_until_listed(const struct policy *p, const char *node)
{
        usec_t deadline = now_usec(CLOCK_MONOTONIC) + HANG_LIMIT;

        while (!listed_has(p, node)) {
                if (now_usec(CLOCK_MONOTONIC) > deadline) {
                        fprintf(stderr, "test hung waiting for %s to be listed\n", node);
                        return false;
                }
                CHECK(sd_event_run(event, 100 * USEC_PER_MSEC) >= 0);
        }
        return true;
}

static struct policy *every_policy(void)
{
        return expose_policy("  - node: e\n"
                             "    name: Every\n"
                             "    allow: {groups: [g]}\n"
                             "    deny: {jids: [eve@example.org]}\n",
                             "['*']",
                             "  - node: e/EchoS\n"
                             "    name: Written out\n"
                             "    allow: {groups: [g]}\n"
                             "    reply: hi\n");
}

static void test_every_method(void)
{
        struct policy *p = every_policy();
        char *groups[] = {(char *)"g", NULL};
        struct requester alice = {.bare = "alice@example.org", .groups = groups};
        struct requester eve = {.bare = "eve@example.org", .groups = groups};
        const struct command *echo, *c;
        struct tcall *t;

        if (!p)
                return;
        /* No service: nothing is made up. */
        private_bus_kill(&service_pid);
        run_rounds(20);
        CHECK(!listed_has(p, "e/EchoI"));
        CHECK(policy_find_command(p, "e/EchoI") == NULL);

        /* It runs: a command per method it has, the unlisted ones included. */
        service_pid = private_bus_spawn_test_service(&bus, 1);
        CHECK(run_until_listed(p, "e/EchoI"));
        CHECK(listed_has(p, "e/Fail") && listed_has(p, "e/Multi") && listed_has(p, "e/GetPair"));
        /* Methods whose arguments a form cannot carry stay hidden. */
        CHECK(!listed_has(p, "e/DescribeV") && !listed_has(p, "e/TakeFd"));
        /* Names that are no method of the service, or no method name at all. */
        CHECK(policy_find_command(p, "e/Missing") == NULL);
        CHECK(policy_find_command(p, "e/a.b") == NULL);
        CHECK(policy_find_command(p, "e/") == NULL);
        CHECK(policy_find_command(p, "e/EchoI/x") == NULL);
        CHECK(policy_find_command(p, "e") == NULL);
        /* A command written out takes precedence over the one the entry would make. */
        c = policy_find_command(p, "e/EchoS");
        CHECK(c && streq(c->action->key, "reply"));

        echo = policy_find_command(p, "e/EchoI");
        CHECK(echo && command_is_available(echo));
        if (!echo) {
                policy_free(p);
                return;
        }
        /* The entry's name and access. */
        CHECK_STREQ(i18n_pick(&echo->name, NULL), "Every: EchoI");
        CHECK(policy_allows(p, echo, &alice));
        CHECK(!policy_allows(p, echo, &eve));
        CHECK(!policy_allows(p, echo, &(struct requester){.bare = "bob@example.org"}));
        /* A requester the entry does not admit is never handed its commands, listed or not. */
        CHECK(policy_find_command_for(p, "e/EchoI", &alice) == echo);
        CHECK(policy_find_command_for(p, "e/EchoI", &eve) == NULL);
        CHECK(policy_find_command_for(p, "e/Fail",
                                      &(struct requester){.bare = "bob@example.org"}) == NULL);
        {
                _cleanup_strv_free_ char **seen = NULL;

                policy_foreach_command(p, &eve, collect_available, &seen);
                CHECK(strv_length(seen) == 1 && streq(seen[0], "e/EchoS"));
        }

        /* It runs like a listed method's command. */
        t = run(echo, (const char *[]){"value", "-5", NULL});
        CHECK_STREQ(value_of(t, "echoed"), "-5");
        tcall_free(t);
        t = run(policy_find_command(p, "e/Fail"), (const char *[]){"message", "boom", NULL});
        CHECK(t->res && note_has(t, "boom"));
        tcall_free(t);

        /* The service goes: the command is hidden but stays (a request in flight holds it); it
         * comes back: the same command. */
        private_bus_kill(&service_pid);
        CHECK(run_until_available(echo, false));
        CHECK(!listed_has(p, "e/EchoI"));
        CHECK(policy_find_command(p, "e/EchoI") == echo);
        service_pid = private_bus_spawn_test_service(&bus, 1);
        CHECK(run_until_available(echo, true));
        CHECK(policy_find_command(p, "e/EchoI") == echo);
        CHECK(listed_has(p, "e/EchoI"));
        policy_free(p);
}

int main(void)
{
        struct policy *p;

        signal(SIGPIPE, SIG_IGN);
        private_bus_init(&bus, "expose", NULL);
        /* dbus_expose watches on the thread's default loop, the agent's. */
        CHECK(sd_event_default(&event) >= 0);

        test_load();
        test_load_every();

        private_bus_start(&bus);
        p = test_policy();
        if (!p)
                return TESTS_RESULT();
        test_follows_service(p);
        test_forms(p);
        test_calls(p);
        test_changed_method(p);
        test_cancel_and_shared_state(p);
        test_bus_lost(p);
        test_every_method();

        dbus_expose_action.shutdown();
        dbus_action.shutdown();
        policy_free(p);
        diags_done(&d);
        private_bus_kill(&service_pid);
        private_bus_stop(&bus);
        sd_event_unref(event);
        private_bus_done(&bus);
        return TESTS_RESULT();
}
