/* SPDX-License-Identifier: MIT */
/*
 * A D-Bus service for the dbus: action's tests: org.adhocd.Test on /org/adhocd/Test1,
 * interface org.adhocd.Test1. Methods echo each basic type and a few containers, describe
 * variants with their types, return structs, tables, dicts and several values, raise errors,
 * answer late or never; properties can be read and one written. "--generation 2" changes
 * the signature of Flex, so that tests can see a restarted service re-introspected. Every call
 * of a method of org.adhocd.Test1 is counted (property CallCount) and its member logged
 * (property CallLog, the last 64), so that tests can prove that something was not called.
 *
 *   test-service --address ADDRESS [--generation N] [--name NAME]
 *
 * Prints "READY" on stdout once it owns its name; exits on SIGTERM.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#define INTERFACE "org.adhocd.Test1"

static unsigned generation = 1;
static double volume = 0.5;

#define CALL_LOG_MAX 64
static uint32_t call_count;
static char *call_log[CALL_LOG_MAX];

static int method_echo(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = sd_bus_message_copy(reply, m, true);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        sd_bus_message_unref(reply);
        return r;
}

/* Appends "TYPE=VALUE" for the basic value or container at the read position. */
static int describe_value(sd_bus_message *m, FILE *f)
{
        const char *contents;
        char type;
        union {
                uint8_t y;
                int b;
                int16_t n;
                uint16_t q;
                int32_t i;
                uint32_t u;
                int64_t x;
                uint64_t t;
                double d;
                const char *s;
        } v;
        int r;

        r = sd_bus_message_peek_type(m, &type, &contents);
        if (r <= 0)
                return r < 0 ? r : -EBADMSG;
        if (type == 'v' || type == 'a' || type == 'r' || type == 'e') {
                bool first = true;

                fprintf(f, "%c%s[", type, contents);
                r = sd_bus_message_enter_container(m, type, contents);
                while (r >= 0 && (r = sd_bus_message_at_end(m, false)) == 0) {
                        fputs(first ? "" : ",", f);
                        first = false;
                        r = describe_value(m, f);
                }
                if (r < 0)
                        return r;
                fputs("]", f);
                return sd_bus_message_exit_container(m);
        }
        r = sd_bus_message_read_basic(m, type, &v);
        if (r < 0)
                return r;
        switch (type) {
        case 'y':
                return fprintf(f, "y=%u", v.y);
        case 'b':
                return fprintf(f, "b=%d", v.b);
        case 'n':
                return fprintf(f, "n=%d", v.n);
        case 'q':
                return fprintf(f, "q=%u", v.q);
        case 'i':
                return fprintf(f, "i=%" PRId32, v.i);
        case 'u':
                return fprintf(f, "u=%" PRIu32, v.u);
        case 'x':
                return fprintf(f, "x=%" PRId64, v.x);
        case 't':
                return fprintf(f, "t=%" PRIu64, v.t);
        case 'd':
                return fprintf(f, "d=%g", v.d);
        default:
                return fprintf(f, "%c=%s", type, v.s);
        }
}

/* Returns the arguments as one string of TYPE=VALUE, with containers' types written out. */
static int method_describe(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);
        int r = 0;

        if (!f)
                return -ENOMEM;
        while (r >= 0 && sd_bus_message_at_end(m, true) == 0) {
                if (size > 0 || ftell(f) > 0)
                        fputs(" ", f);
                r = describe_value(m, f);
        }
        fclose(f);
        if (r >= 0)
                r = sd_bus_reply_method_return(m, "s", text);
        free(text);
        return r;
}

static int method_multi(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        const char *s;
        int32_t i;
        int r;

        r = sd_bus_message_read(m, "si", &s, &i);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(m, "sib", s, i * 2, i > 0);
}

static int method_people(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        return sd_bus_reply_method_return(m, "a(sus)", 2, "alice", 30, "alice@example.org", "bob",
                                          25, "bob@example.org");
}

static int method_pair(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        return sd_bus_reply_method_return(m, "(si)", "answer", 42);
}

static int method_info(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        return sd_bus_reply_method_return(m, "a{sv}", 3, "Name", "s", "test", "Count", "u", 3,
                                          "Tags", "as", 2, "a", "b");
}

static int method_numbers(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        return sd_bus_reply_method_return(m, "ai", 3, 1, 2, 3);
}

static int method_weird(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        return sd_bus_reply_method_return(m, "s", "bell\a and \x1b escape");
}

static int method_fail(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        const char *text;
        int r;

        r = sd_bus_message_read(m, "s", &text);
        if (r < 0)
                return r;
        return sd_bus_error_setf(error, "org.adhocd.Test1.Error.Failed", "%s", text);
}

static int method_deny(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        return sd_bus_error_set(error, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED,
                                "Interactive authentication required.");
}

static int method_hang(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        return 1; /* never answers */
}

static int on_slow_done(sd_event_source *s, uint64_t usec, void *userdata)
{
        sd_bus_message *m = userdata;
        uint32_t ms;

        if (sd_bus_message_rewind(m, true) >= 0 && sd_bus_message_read(m, "u", &ms) >= 0)
                (void)sd_bus_reply_method_return(m, "u", ms);
        sd_bus_message_unref(m);
        sd_event_source_unref(s);
        return 0;
}

static int method_slow(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        sd_event *e = sd_bus_get_event(sd_bus_message_get_bus(m));
        uint32_t ms;
        int r;

        r = sd_bus_message_read(m, "u", &ms);
        if (r < 0)
                return r;
        r = sd_event_add_time_relative(e, NULL, CLOCK_MONOTONIC, (uint64_t)ms * 1000, 0,
                                       on_slow_done, sd_bus_message_ref(m));
        return r < 0 ? r : 1;
}

static int method_flex(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        return method_echo(m, userdata, error);
}

static int method_take_fd(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        return sd_bus_reply_method_return(m, "");
}

static int get_volume(sd_bus *bus, const char *path, const char *interface, const char *property,
                      sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
        return sd_bus_message_append(reply, "d", volume);
}

static int set_volume(sd_bus *bus, const char *path, const char *interface, const char *property,
                      sd_bus_message *value, void *userdata, sd_bus_error *error)
{
        double v;
        int r;

        r = sd_bus_message_read(value, "d", &v);
        if (r < 0)
                return r;
        if (v < 0 || v > 1)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "volume %g out of range",
                                         v);
        volume = v;
        return 0;
}

static int get_generation(sd_bus *bus, const char *path, const char *interface,
                          const char *property, sd_bus_message *reply, void *userdata,
                          sd_bus_error *error)
{
        return sd_bus_message_append(reply, "u", generation);
}

static int get_tags(sd_bus *bus, const char *path, const char *interface, const char *property,
                    sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
        return sd_bus_message_append(reply, "as", 2, "red", "green");
}

/* Sees every message before the vtables: counts and logs the calls of the interface's methods. */
static int on_message(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        const char *member = sd_bus_message_get_member(m);

        if (!sd_bus_message_is_method_call(m, INTERFACE, NULL) || !member)
                return 0;
        free(call_log[call_count % CALL_LOG_MAX]);
        call_log[call_count % CALL_LOG_MAX] = strdup(member);
        call_count++;
        return 0;
}

static int get_call_count(sd_bus *bus, const char *path, const char *interface,
                          const char *property, sd_bus_message *reply, void *userdata,
                          sd_bus_error *error)
{
        return sd_bus_message_append(reply, "u", call_count);
}

static int get_call_log(sd_bus *bus, const char *path, const char *interface, const char *property,
                        sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
        uint32_t first = call_count > CALL_LOG_MAX ? call_count - CALL_LOG_MAX : 0;
        int r;

        r = sd_bus_message_open_container(reply, 'a', "s");
        for (uint32_t i = first; r >= 0 && i < call_count; i++)
                r = sd_bus_message_append(reply, "s", call_log[i % CALL_LOG_MAX] ?: "");
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

#define ECHO(name, t)                                                                              \
        SD_BUS_METHOD_WITH_NAMES(name, t, SD_BUS_PARAM(value), t, SD_BUS_PARAM(echoed),            \
                                 method_echo, 0)
#define DESCRIBE(name, t)                                                                          \
        SD_BUS_METHOD_WITH_NAMES(name, t, SD_BUS_PARAM(value), "s", SD_BUS_PARAM(description),     \
                                 method_describe, 0)

static const sd_bus_vtable common_vtable[] = {
    SD_BUS_VTABLE_START(0),
    ECHO("EchoY", "y"),
    ECHO("EchoB", "b"),
    ECHO("EchoN", "n"),
    ECHO("EchoQ", "q"),
    ECHO("EchoI", "i"),
    ECHO("EchoU", "u"),
    ECHO("EchoX", "x"),
    ECHO("EchoT", "t"),
    ECHO("EchoD", "d"),
    ECHO("EchoS", "s"),
    ECHO("EchoO", "o"),
    ECHO("EchoG", "g"),
    ECHO("EchoAS", "as"),
    ECHO("EchoAU", "au"),
    ECHO("EchoStruct", "(si)"),
    ECHO("EchoAStruct", "a(si)"),
    DESCRIBE("DescribeV", "v"),
    DESCRIBE("DescribeDict", "a{sv}"),
    DESCRIBE("DescribeAS", "as"),
    DESCRIBE("DescribeStruct", "(sub)"),
    SD_BUS_METHOD_WITH_NAMES("DescribeMixed", "sa{sv}au",
                             SD_BUS_PARAM(text) SD_BUS_PARAM(dict) SD_BUS_PARAM(numbers), "s",
                             SD_BUS_PARAM(description), method_describe, 0),
    SD_BUS_METHOD_WITH_NAMES("Multi", "si", SD_BUS_PARAM(text) SD_BUS_PARAM(number), "sib",
                             SD_BUS_PARAM(text) SD_BUS_PARAM(doubled) SD_BUS_PARAM(positive),
                             method_multi, 0),
    SD_BUS_METHOD_WITH_NAMES("GetPeople", "", , "a(sus)", SD_BUS_PARAM(people), method_people, 0),
    SD_BUS_METHOD_WITH_NAMES("GetPair", "", , "(si)", SD_BUS_PARAM(pair), method_pair, 0),
    SD_BUS_METHOD_WITH_NAMES("GetInfo", "", , "a{sv}", SD_BUS_PARAM(info), method_info, 0),
    SD_BUS_METHOD("GetNumbers", "", "ai", method_numbers, 0),
    SD_BUS_METHOD("Weird", "", "s", method_weird, 0),
    SD_BUS_METHOD_WITH_NAMES("Fail", "s", SD_BUS_PARAM(message), "", , method_fail, 0),
    SD_BUS_METHOD("Deny", "", "", method_deny, 0),
    SD_BUS_METHOD("Forbidden", "", "", method_echo, 0), /* refused by the bus policy */
    SD_BUS_METHOD("Hang", "", "", method_hang, 0),
    SD_BUS_METHOD_WITH_NAMES("Slow", "u", SD_BUS_PARAM(milliseconds), "u", SD_BUS_PARAM(waited),
                             method_slow, 0),
    SD_BUS_METHOD("TakeFd", "h", "", method_take_fd, 0),
    SD_BUS_WRITABLE_PROPERTY("Volume", "d", get_volume, set_volume, 0, 0),
    SD_BUS_PROPERTY("Generation", "u", get_generation, 0, 0),
    SD_BUS_PROPERTY("Tags", "as", get_tags, 0, 0),
    SD_BUS_PROPERTY("CallCount", "u", get_call_count, 0, 0),
    SD_BUS_PROPERTY("CallLog", "as", get_call_log, 0, 0),
    SD_BUS_VTABLE_END,
};

/* Flex changes with the generation: "s" -> "s" first, then "u" -> "u". */
static const sd_bus_vtable flex1_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD_WITH_NAMES("Flex", "s", SD_BUS_PARAM(value), "s", SD_BUS_PARAM(text), method_flex,
                             0),
    SD_BUS_VTABLE_END,
};

static const sd_bus_vtable flex2_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD_WITH_NAMES("Flex", "u", SD_BUS_PARAM(value), "u", SD_BUS_PARAM(number),
                             method_flex, 0),
    SD_BUS_VTABLE_END,
};

static int open_bus(const char *address, sd_bus **ret)
{
        sd_bus *bus = NULL;
        int r;

        r = sd_bus_new(&bus);
        if (r >= 0)
                r = sd_bus_set_address(bus, address);
        if (r >= 0)
                r = sd_bus_set_bus_client(bus, 1);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r < 0) {
                sd_bus_unref(bus);
                return r;
        }
        *ret = bus;
        return 0;
}

int main(int argc, char **argv)
{
        const char *address = NULL, *name = "org.adhocd.Test";
        sd_event *e = NULL;
        sd_bus *bus = NULL;
        sigset_t mask;
        int r;

        for (int i = 1; i + 1 < argc; i += 2) {
                if (strcmp(argv[i], "--address") == 0)
                        address = argv[i + 1];
                else if (strcmp(argv[i], "--generation") == 0)
                        generation = (unsigned)atoi(argv[i + 1]);
                else if (strcmp(argv[i], "--name") == 0)
                        name = argv[i + 1];
        }
        if (!address) {
                fprintf(stderr, "usage: %s --address ADDRESS [--generation N] [--name NAME]\n",
                        argv[0]);
                return 2;
        }
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigprocmask(SIG_BLOCK, &mask, NULL);

        r = sd_event_default(&e);
        if (r >= 0)
                r = sd_event_add_signal(e, NULL, SIGTERM, NULL, NULL);
        if (r >= 0)
                r = open_bus(address, &bus);
        if (r >= 0)
                r = sd_bus_add_filter(bus, NULL, on_message, NULL);
        if (r >= 0)
                r = sd_bus_add_object_vtable(bus, NULL, "/org/adhocd/Test1", INTERFACE,
                                             common_vtable, NULL);
        if (r >= 0)
                r = sd_bus_add_object_vtable(bus, NULL, "/org/adhocd/Test1", INTERFACE,
                                             generation == 1 ? flex1_vtable : flex2_vtable, NULL);
        if (r >= 0)
                r = sd_bus_request_name(bus, name, 0); /* a test program: blocking is fine */
        if (r >= 0)
                r = sd_bus_attach_event(bus, e, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0) {
                fprintf(stderr, "test-service: %s\n", strerror(-r));
                return 1;
        }
        printf("READY\n");
        fflush(stdout);
        r = sd_event_loop(e);
        sd_bus_flush_close_unref(bus);
        sd_event_unref(e);
        for (size_t i = 0; i < CALL_LOG_MAX; i++)
                free(call_log[i]);
        return r < 0 ? 1 : 0;
}
