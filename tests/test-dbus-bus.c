/* SPDX-License-Identifier: MIT */
/*
 * The dbus: action against a real bus: a private dbus-daemon and tests/dbus/test-service,
 * both started (and stopped, and restarted) by this test. The backend is driven the way the
 * engine drives it: a struct action_call on an sd-event loop. Outcomes and their order are
 * asserted, never durations; the loop only gives up on a hung test after a generous limit.
 */
#include <signal.h>
#include <stddef.h>
#include <stdio.h>

#include "dbus.h"
#include "plugins.h"
#include "private-bus.h"
#include "result-helpers.h"
#include "tests.h"

/* Method Forbidden is refused by the bus itself: a real AccessDenied. */
#define BUS_RULES                                                                                  \
        "    <deny send_destination=\"org.adhocd.Test\" send_interface=\"org.adhocd.Test1\"\n"     \
        "          send_member=\"Forbidden\"/>\n"

static sd_event *event;
static struct private_bus bus;
static pid_t service_pid;
static struct form *form;

/* ---- Configurations and calls ---- */

static void form_setup(void)
{
        static const char yaml[] = "fields:\n"
                                   "  - {var: level, label: Volume}\n"
                                   "  - {var: name}\n"
                                   "  - {var: tags, type: text-multi, label: Tags}\n";
        _cleanup_(ynode_freep) struct ynode *n = NULL;
        struct diags d = {0};

        CHECK(ynode_parse(yaml, strlen(yaml), "form.yaml", &n, &d) >= 0);
        CHECK(form_from_ynode(n, &form, &d) >= 0);
        diags_done(&d);
}

/* A configuration for the test service; body holds the other keys (flow YAML). */
static struct dbus_config *cfg_new(const char *body)
{
        _cleanup_(ynode_freep) struct ynode *root = NULL;
        _cleanup_free_ char *yaml = NULL;
        struct dbus_config *c = NULL;
        struct diags d = {0};

        /* body may override the destination and the path. */
        CHECK(asprintf(&yaml, "{bus: '%s', interface: org.adhocd.Test1, %s%s%s}", bus.address,
                       strstr(body, "destination:") ? "" : "destination: org.adhocd.Test, ",
                       strstr(body, "path:") ? "" : "path: /org/adhocd/Test1, ", body) > 0);
        CHECK(ynode_parse(yaml, strlen(yaml), "t.yaml", &root, &d) >= 0);
        if (dbus_action.parse(root, form, (void **)&c, &d) < 0) {
                diags_print(&d, stderr);
                abort();
        }
        diags_done(&d);
        return c;
}

struct tcall {
        struct action_call call;
        struct form_values vals;
        struct dbus_config *cfg;
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

static struct tcall *tcall_new(const char *body)
{
        struct tcall *t = zalloc(sizeof(*t));

        if (!t)
                abort();
        t->cfg = cfg_new(body);
        return t;
}

static void tcall_set(struct tcall *t, const char *var, const char *value)
{
        CHECK(form_values_set(&t->vals, var, (char *[]){(char *)value, NULL}, false) >= 0);
}

static void tcall_start(struct tcall *t)
{
        t->call = (struct action_call){
            .event = event,
            .node = "test",
            .requester = "alice@example.org/phone",
            .requester_bare = "alice@example.org",
            .lang = "en",
            .values = &t->vals,
            .cfg = t->cfg,
            .complete = on_complete,
        };
        CHECK_INT(dbus_action.start(&t->call), 0);
}

static void tcall_free(struct tcall *t)
{
        if (!t)
                return;
        if (!t->done)
                dbus_action.cancel(&t->call);
        action_result_free(t->res);
        form_values_done(&t->vals);
        dbus_config_free(t->cfg);
        free(t);
}

/* Runs body with var=value, and returns the finished call. */
static struct tcall *run(const char *body, const char *var, const char *value)
{
        struct tcall *t = tcall_new(body);

        if (var)
                tcall_set(t, var, value);
        tcall_start(t);
        private_bus_run_until_set(event, &t->done);
        return t;
}

static const struct form_result_field *field(const struct tcall *t, const char *var)
{
        return tests_result_field(t->res, var);
}

static const char *value_of(const struct tcall *t, const char *var)
{
        return tests_result_value(t->res, var);
}

static const char *note_of(const struct tcall *t)
{
        return tests_result_note(t->res);
}

#define CHECK_SUCCESS(t)                                                                           \
        do {                                                                                       \
                CHECK((t)->res && !action_result_failed((t)->res));                                \
                if ((t)->res && action_result_failed((t)->res))                                    \
                        fprintf(stderr, "  failed: %d %s\n", (t)->res->error, note_of(t));         \
        } while (0)

#define CHECK_NOTE(t, err, text)                                                                   \
        do {                                                                                       \
                CHECK((t)->res != NULL);                                                           \
                CHECK_INT((t)->res ? (t)->res->error : 1, err);                                    \
                if (!strstr(note_of(t), text)) {                                                   \
                        fprintf(stderr, "  note '%s' lacks '%s'\n", note_of(t), text);             \
                        CHECK(false);                                                              \
                }                                                                                  \
        } while (0)

/* ---- Tests ---- */

static void test_basic_types(void)
{
        static const struct {
                const char *method, *in, *out;
        } cases[] = {
            {"EchoY", "255", "255"},
            {"EchoB", "true", "true"},
            {"EchoB", "0", "false"},
            {"EchoN", "-32768", "-32768"},
            {"EchoQ", "65535", "65535"},
            {"EchoI", "-5", "-5"},
            {"EchoU", "4294967295", "4294967295"},
            {"EchoX", "-9223372036854775808", "-9223372036854775808"},
            {"EchoT", "18446744073709551615", "18446744073709551615"},
            {"EchoD", "0.25", "0.25"},
            {"EchoS", "h\xc3\xa9llo", "h\xc3\xa9llo"},
            {"EchoO", "/a/b", "/a/b"},
            {"EchoG", "a{sv}", "a{sv}"},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *body = NULL;
                struct tcall *t;

                /* No signature: introspected, and so is the output's name. */
                CHECK(asprintf(&body, "method: %s, args: ['{name}']", cases[i].method) > 0);
                t = run(body, "name", cases[i].in);
                CHECK_SUCCESS(t);
                CHECK_STREQ(value_of(t, "echoed"), cases[i].out);
                CHECK(field(t, "echoed") && streq(field(t, "echoed")->label, "echoed"));
                tcall_free(t);
        }

        /* Built-in variables. */
        struct tcall *t = run("method: EchoS, args: ['{from_bare} via {node}']", NULL, NULL);
        CHECK_STREQ(value_of(t, "echoed"), "alice@example.org via test");
        tcall_free(t);
}

static void test_refused_values(void)
{
        static const struct {
                const char *method, *in, *note;
        } cases[] = {
            {"EchoY", "256", "Volume: '256' is above the maximum 255"},
            {"EchoN", "-32769", "Volume: '-32769' is below the minimum -32768"},
            {"EchoQ", "-1", "Volume: '-1' is below the minimum 0"},
            {"EchoU", "4294967296", "Volume: '4294967296' is above the maximum 4294967295"},
            {"EchoX", "9223372036854775808", "is above the maximum 9223372036854775807"},
            {"EchoT", "18446744073709551616", "is above the maximum 18446744073709551615"},
            {"EchoD", "abc", "Volume: 'abc' is not a number"},
            {"EchoO", "not/a/path", "Volume: 'not/a/path' is not a valid D-Bus object path"},
            {"EchoB", "maybe", "Volume: 'maybe' is not a boolean"},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *body = NULL;
                struct tcall *t;

                CHECK(asprintf(&body, "method: %s, args: ['{level}']", cases[i].method) > 0);
                t = run(body, "level", cases[i].in);
                CHECK_NOTE(t, -EINVAL, cases[i].note);
                CHECK(!t->res || !t->res->form);
                tcall_free(t);
        }

        /* With the signature in the policy, the value is refused before anything is sent:
         * even to a destination that does not exist, the answer is about the value. */
        struct tcall *t = run("destination: org.adhocd.Nobody, method: EchoY, signature: y, "
                              "args: ['{level}']",
                              "level", "256");
        CHECK_NOTE(t, -EINVAL, "Volume: '256' is above the maximum 255");
        tcall_free(t);
}

static void test_arrays_and_containers(void)
{
        struct tcall *t;

        t = tcall_new("method: EchoAS, args: ['{tags}']");
        CHECK(form_values_set(&t->vals, "tags",
                              (char *[]){(char *)"red", (char *)"green", (char *)"blue", NULL},
                              false) >= 0);
        tcall_start(t);
        private_bus_run_until_set(event, &t->done);
        CHECK_SUCCESS(t);
        CHECK(field(t, "echoed") && strv_length(field(t, "echoed")->values) == 3);
        CHECK(field(t, "echoed") && streq(field(t, "echoed")->values[2], "blue"));
        tcall_free(t);

        t = tcall_new("method: EchoAU, args: [['{tags...}', '9']]");
        CHECK(form_values_set(&t->vals, "tags", (char *[]){(char *)"1", (char *)"2", NULL},
                              false) >= 0);
        tcall_start(t);
        private_bus_run_until_set(event, &t->done);
        CHECK(field(t, "echoed") && strv_length(field(t, "echoed")->values) == 3);
        tcall_free(t);

        t = tcall_new("method: EchoAU, args: ['{tags}']");
        CHECK(form_values_set(&t->vals, "tags", (char *[]){(char *)"1", (char *)"x", NULL},
                              false) >= 0);
        tcall_start(t);
        private_bus_run_until_set(event, &t->done);
        CHECK_NOTE(t, -EINVAL, "Tags: 'x' is not an integer");
        tcall_free(t);

        /* a{sv} and v with their types from the policy, as the service received them. */
        t = run("method: DescribeDict, args: [{Volume: {type: d, value: '{level}'}, "
                "Name: {type: s, value: '{from_bare}'}, Ids: {type: au, value: ['1', '2']}}]",
                "level", "0.5");
        CHECK_SUCCESS(t);
        CHECK_STREQ(value_of(t, "description"),
                    "a{sv}[esv[s=Volume,vd[d=0.5]],esv[s=Name,vs[s=alice@example.org]],"
                    "esv[s=Ids,vau[au[u=1,u=2]]]]");
        tcall_free(t);

        t = run("method: DescribeV, args: [{type: q, value: '{level}'}]", "level", "7");
        CHECK_STREQ(value_of(t, "description"), "vq[q=7]");
        tcall_free(t);

        t = run("method: DescribeMixed, args: ['{name}', {}, []]", "name", "x");
        CHECK_STREQ(value_of(t, "description"), "s=x a{sv}[] au[]");
        tcall_free(t);

        t = run("method: DescribeStruct, args: [['{name}', '3', 'true']]", "name", "bob");
        CHECK_STREQ(value_of(t, "description"), "rsub[s=bob,u=3,b=1]");
        tcall_free(t);

        /* The policy's shape does not fit the introspected type. */
        t = run("method: DescribeV, args: ['{level}']", "level", "1");
        CHECK_NOTE(t, -EPROTO, "a variant 'v' is written {type: TYPE, value: VALUE}");
        tcall_free(t);
}

static void test_results(void)
{
        struct tcall *t;

        /* Several outputs, each named by introspection. */
        t = tcall_new("method: Multi, args: ['{name}', '{level}']");
        tcall_set(t, "name", "x");
        tcall_set(t, "level", "21");
        tcall_start(t);
        private_bus_run_until_set(event, &t->done);
        CHECK_STREQ(value_of(t, "text"), "x");
        CHECK_STREQ(value_of(t, "doubled"), "42");
        CHECK_STREQ(value_of(t, "positive"), "true");
        tcall_free(t);

        /* An array of structs is a table; column labels from the policy. */
        t = run("method: GetPeople, columns: [Name, Age, Address]", NULL, NULL);
        CHECK_SUCCESS(t);
        if (t->res && t->res->form) {
                CHECK_INT(t->res->form->n_columns, 3);
                CHECK_STREQ(t->res->form->columns[2].label, "Address");
                CHECK_INT(t->res->form->n_rows, 2);
                if (t->res->form->n_rows == 2)
                        CHECK_STREQ(t->res->form->rows[1][2], "bob@example.org");
        }
        tcall_free(t);

        t = run("method: GetPair", NULL, NULL);
        CHECK_STREQ(value_of(t, "pair"), "(\"answer\", 42)");
        tcall_free(t);

        t = run("method: GetInfo", NULL, NULL);
        CHECK_STREQ(value_of(t, "info.Name"), "test");
        CHECK_STREQ(value_of(t, "info.Count"), "3");
        CHECK_STREQ(value_of(t, "info.Tags"), "[\"a\", \"b\"]");
        tcall_free(t);

        /* Unnamed output; control characters cleaned. */
        t = run("method: GetNumbers", NULL, NULL);
        CHECK(field(t, "result") && strv_length(field(t, "result")->values) == 3);
        tcall_free(t);
        t = run("method: Weird", NULL, NULL);
        CHECK_STREQ(value_of(t, "result"), "bell\xEF\xBF\xBD and \xEF\xBF\xBD escape");
        tcall_free(t);
}

static void test_properties(void)
{
        struct tcall *t;

        t = run("get_property: Volume", NULL, NULL);
        CHECK_SUCCESS(t);
        CHECK_STREQ(value_of(t, "Volume"), "0.5");
        tcall_free(t);

        /* The type is introspected. */
        t = run("set_property: {name: Volume, value: '{level}'}", "level", "0.75");
        CHECK_SUCCESS(t);
        CHECK(!t->res || !t->res->form);
        tcall_free(t);
        t = run("get_property: Volume", NULL, NULL);
        CHECK_STREQ(value_of(t, "Volume"), "0.75");
        tcall_free(t);

        /* Given in the policy. */
        t = run("set_property: {name: Volume, value: '{level}', type: d}", "level", "0.25");
        CHECK_SUCCESS(t);
        tcall_free(t);
        t = run("set_property: {name: Volume, value: '{level}', type: d}", "level", "loud");
        CHECK_NOTE(t, -EINVAL, "Volume: 'loud' is not a number");
        tcall_free(t);

        /* Refused by the service. */
        t = run("set_property: {name: Volume, value: '{level}'}", "level", "2.5");
        CHECK_NOTE(t, 0, "org.freedesktop.DBus.Error.InvalidArgs: volume 2.5 out of range");
        tcall_free(t);
        t = run("set_property: {name: Generation, value: '3', type: u}", NULL, NULL);
        CHECK_NOTE(t, 0, "The property Generation is read-only.");
        tcall_free(t);

        t = run("get_property: Tags", NULL, NULL);
        CHECK(field(t, "Tags") && strv_length(field(t, "Tags")->values) == 2);
        tcall_free(t);

        t = run("get_property: Nope", NULL, NULL);
        CHECK_NOTE(t, 0, "org.freedesktop.DBus.Error.UnknownProperty");
        tcall_free(t);
        t = run("set_property: {name: Nope, value: x}", NULL, NULL);
        CHECK_NOTE(t, -EPROTO, "has no property org.adhocd.Test1.Nope");
        tcall_free(t);
}

static void test_errors(void)
{
        struct tcall *t;

        t = run("method: Fail, args: ['{name}']", "name", "it broke");
        CHECK_NOTE(t, 0, "org.adhocd.Test1.Error.Failed: it broke");
        tcall_free(t);

        t = run("method: Deny", NULL, NULL);
        CHECK_NOTE(t, 0, "with a polkit rule");
        CHECK_NOTE(t, 0, "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired");
        tcall_free(t);

        t = run("method: Forbidden", NULL, NULL);
        CHECK_NOTE(t, 0, "org.freedesktop.DBus.Error.AccessDenied");
        tcall_free(t);

        /* A method taking a file descriptor is never called. */
        t = run("method: TakeFd, args: ['0']", NULL, NULL);
        CHECK_NOTE(t, -EPROTO, "takes a file descriptor");
        tcall_free(t);

        /* Unknown to introspection; with a signature, the service answers. */
        t = run("method: Nope", NULL, NULL);
        CHECK_NOTE(t, -EPROTO, "has no method org.adhocd.Test1.Nope at /org/adhocd/Test1");
        tcall_free(t);
        t = run("method: Nope, signature: ''", NULL, NULL);
        CHECK_NOTE(t, 0, "org.freedesktop.DBus.Error.UnknownMethod");
        tcall_free(t);

        /* The service does not answer in time. */
        t = run("method: Hang, timeout: 300ms", NULL, NULL);
        CHECK_NOTE(t, 0, "org.adhocd.Test did not answer within 300ms.");
        tcall_free(t);
}

static bool owner_changes_reach(const void *userdata)
{
        struct dbus_bus *b = NULL;
        unsigned n;

        CHECK(dbus_bus_get(event, bus.address, &b) >= 0);
        n = dbus_bus_owner_changes(b);
        dbus_bus_unref(b);
        return n >= *(const unsigned *)userdata;
}

static unsigned owner_changes(void)
{
        struct dbus_bus *b = NULL;
        unsigned n;

        CHECK(dbus_bus_get(event, bus.address, &b) >= 0);
        n = dbus_bus_owner_changes(b);
        dbus_bus_unref(b);
        return n;
}

static void test_late_service_and_owner_change(void)
{
        unsigned target;
        struct tcall *t;

        t = run("method: Flex, args: ['{name}']", "name", "abc");
        CHECK_STREQ(value_of(t, "text"), "abc");
        tcall_free(t);

        /* Gone: the name's owner changes, and calls say the service is not running. */
        target = owner_changes() + 1;
        private_bus_kill(&service_pid);
        private_bus_run_until(event, owner_changes_reach, &target);
        t = run("method: Flex, args: ['{name}']", "name", "abc");
        CHECK_NOTE(t, 0, "org.adhocd.Test is not running on the bus at unix:path=");
        CHECK_NOTE(t, 0, "org.freedesktop.DBus.Error.ServiceUnknown");
        tcall_free(t);

        /* Back as another version: Flex now takes and returns a u, named differently. */
        target = owner_changes() + 1;
        service_pid = private_bus_spawn_test_service(&bus, 2);
        private_bus_run_until(event, owner_changes_reach, &target);
        t = run("method: Flex, args: ['{name}']", "name", "abc");
        CHECK_NOTE(t, -EINVAL, "name: 'abc' is not an integer");
        tcall_free(t);
        t = run("method: Flex, args: ['{name}']", "name", "7");
        CHECK_SUCCESS(t);
        CHECK_STREQ(value_of(t, "number"), "7");
        tcall_free(t);
        t = run("get_property: Generation", NULL, NULL);
        CHECK_STREQ(value_of(t, "Generation"), "2");
        tcall_free(t);
}

static void test_concurrency_and_cancel(void)
{
        struct tcall *slow[10], *quick, *cancelled, *later, *waiting;

        /* Ten slow calls in flight do not hold up another one. */
        for (size_t i = 0; i < ELEMENTSOF(slow); i++) {
                slow[i] = tcall_new("method: Slow, args: ['{level}']");
                tcall_set(slow[i], "level", "60000");
                tcall_start(slow[i]);
        }
        quick = tcall_new("method: EchoS, args: [quick]");
        tcall_start(quick);
        private_bus_run_until_set(event, &quick->done);
        CHECK_STREQ(value_of(quick, "echoed"), "quick");
        for (size_t i = 0; i < ELEMENTSOF(slow); i++) {
                CHECK(!slow[i]->done);
                tcall_free(slow[i]); /* cancels */
        }
        tcall_free(quick);

        /* A cancelled call never completes, though its answer comes before a later one's. */
        cancelled = tcall_new("method: Slow, args: ['100']");
        tcall_start(cancelled);
        later = tcall_new("method: Slow, args: ['400']");
        tcall_start(later);
        dbus_action.cancel(&cancelled->call);
        CHECK(cancelled->call.userdata == NULL);
        private_bus_run_until_set(event, &later->done);
        CHECK_STREQ(value_of(later, "waited"), "400");
        CHECK(!cancelled->done);
        cancelled->done = true; /* already cancelled */
        tcall_free(cancelled);
        tcall_free(later);

        /* Cancelled while waiting for introspection (of an object not seen yet). */
        waiting = tcall_new("path: /org/adhocd/Elsewhere, method: X");
        tcall_start(waiting);
        CHECK(!waiting->done);
        tcall_free(waiting);
        later = run("path: /org/adhocd/Elsewhere, method: X", NULL, NULL);
        CHECK_NOTE(later, 0, "has no method org.adhocd.Test1.X at /org/adhocd/Elsewhere");
        CHECK_NOTE(later, 0, "org.freedesktop.DBus.Error.UnknownObject");
        tcall_free(later);
}

static bool bus_is(const void *userdata)
{
        struct dbus_bus *b = NULL;
        bool up;

        CHECK(dbus_bus_get(event, bus.address, &b) >= 0);
        up = dbus_bus_get_sd(b) != NULL;
        dbus_bus_unref(b);
        return up == *(const bool *)userdata;
}

static void test_bus_lost(void)
{
        bool down = false, up = true;
        struct tcall *pending, *t;

        pending = tcall_new("method: Slow, args: ['60000']");
        tcall_start(pending);
        t = run("method: EchoS, args: [ping]", NULL, NULL); /* the Slow call is sent */
        tcall_free(t);

        /* The bus goes away: the pending call and new ones answer "bus unavailable". */
        private_bus_stop(&bus);
        private_bus_run_until_set(event, &pending->done);
        private_bus_kill(&service_pid);
        CHECK_NOTE(pending, 0, "bus unavailable");
        tcall_free(pending);
        private_bus_run_until(event, bus_is, &down);
        t = run("method: EchoS, args: [ping]", NULL, NULL);
        CHECK_NOTE(t, 0, "bus unavailable");
        tcall_free(t);

        /* It comes back: reconnected, introspected afresh. */
        private_bus_start(&bus);
        service_pid = private_bus_spawn_test_service(&bus, 1);
        private_bus_run_until(event, bus_is, &up);
        t = run("method: Flex, args: [back]", NULL, NULL);
        CHECK_SUCCESS(t);
        CHECK_STREQ(value_of(t, "text"), "back");
        tcall_free(t);
}

int main(void)
{
        signal(SIGPIPE, SIG_IGN);
        private_bus_init(&bus, "dbus", BUS_RULES);
        CHECK(sd_event_new(&event) >= 0);
        form_setup();
        private_bus_start(&bus);
        service_pid = private_bus_spawn_test_service(&bus, 1);

        test_basic_types();
        test_refused_values();
        test_arrays_and_containers();
        test_results();
        test_properties();
        test_errors();
        test_late_service_and_owner_change();
        test_concurrency_and_cancel();
        test_bus_lost();

        dbus_action.shutdown();
        private_bus_kill(&service_pid);
        private_bus_stop(&bus);
        form_free(form);
        sd_event_unref(event);
        private_bus_done(&bus);
        return TESTS_RESULT();
}
