/* SPDX-License-Identifier: MIT */
/*
 * Replies and errors as the requester sees them. Replies are built on a bus over a
 * socketpair that nothing answers: rendering needs no daemon.
 */
#include <stdarg.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dbus.h"
#include "tests.h"

static sd_bus *bus;
static int peer = -1;

static void setup(void)
{
        int sv[2];

        CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) == 0);
        peer = sv[1];
        CHECK(sd_bus_new(&bus) >= 0);
        CHECK(sd_bus_set_fd(bus, sv[0], sv[0]) >= 0);
        CHECK(sd_bus_start(bus) >= 0);
}

/* A sealed method return holding the values of sig (sd_bus_message_append() arguments). */
static sd_bus_message *reply_new(const char *sig, ...)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        sd_bus_message *reply = NULL;
        va_list ap;
        int r;

        CHECK(sd_bus_message_new_method_call(bus, &call, "a.b", "/a", "a.b", "X") >= 0);
        CHECK(sd_bus_message_seal(call, 1, 0) >= 0);
        CHECK(sd_bus_message_new_method_return(call, &reply) >= 0);
        va_start(ap, sig);
        r = sd_bus_message_appendv(reply, sig, ap);
        va_end(ap);
        CHECK(r >= 0);
        CHECK(sd_bus_message_seal(reply, 2, 0) >= 0);
        return reply;
}

static struct action_result *render(sd_bus_message *reply, char *const *names, char *const *columns)
{
        struct action_result *res = action_result_new();

        CHECK(res != NULL);
        CHECK_INT(dbus_result_from_reply(reply, names, columns, NULL, res), 0);
        sd_bus_message_unref(reply);
        return res;
}

static const struct form_result_field *field(const struct action_result *res, const char *var)
{
        for (size_t i = 0; res->form && i < res->form->n_fields; i++)
                if (streq_ptr(res->form->fields[i].var, var))
                        return &res->form->fields[i];
        fprintf(stderr, "no field '%s'\n", var);
        return NULL;
}

/* The field's values joined by '|'. */
static const char *values_of(const struct action_result *res, const char *var)
{
        static char buf[8192];
        const struct form_result_field *f = field(res, var);

        buf[0] = '\0';
        if (!f)
                return "(no field)";
        STRV_FOREACH (v, f->values) {
                if (v != f->values)
                        strcat(buf, "|");
                strncat(buf, *v, sizeof(buf) - strlen(buf) - 1);
        }
        return buf;
}

static void test_basic(void)
{
        char *names[] = {(char *)"level", (char *)"", (char *)"flag", NULL};
        struct action_result *res;

        res = render(reply_new("dyb", 0.1, 255, 1), names, NULL);
        CHECK_INT(res->form->n_fields, 3);
        CHECK_STREQ(values_of(res, "level"), "0.1");
        CHECK_STREQ(field(res, "level")->label, "level");
        CHECK_STREQ(values_of(res, "result2"), "255"); /* unnamed among several */
        CHECK_STREQ(field(res, "result2")->label, "Result 2");
        CHECK_STREQ(values_of(res, "flag"), "true");
        CHECK_INT(field(res, "flag")->type, FORM_FIELD_TEXT_SINGLE);
        CHECK_INT(res->n_notes, 0);
        action_result_free(res);

        res = render(reply_new("nqiuxtsog", -5, 65535, -7, 4000000000u, INT64_MIN, UINT64_MAX,
                               "text", "/a/b", "a{sv}"),
                     NULL, NULL);
        CHECK_STREQ(values_of(res, "result1"), "-5");
        CHECK_STREQ(values_of(res, "result2"), "65535");
        CHECK_STREQ(values_of(res, "result4"), "4000000000");
        CHECK_STREQ(values_of(res, "result5"), "-9223372036854775808");
        CHECK_STREQ(values_of(res, "result6"), "18446744073709551615");
        CHECK_STREQ(values_of(res, "result7"), "text"); /* bare at the top */
        CHECK_STREQ(values_of(res, "result9"), "a{sv}");
        action_result_free(res);

        /* One unnamed value. */
        res = render(reply_new("d", 1e300), NULL, NULL);
        CHECK_STREQ(values_of(res, "result"), "1e+300");
        CHECK_STREQ(field(res, "result")->label, "Result");
        action_result_free(res);

        /* Nothing to show: no form. */
        res = render(reply_new(""), NULL, NULL);
        CHECK(res->form == NULL);
        action_result_free(res);
}

static void test_containers(void)
{
        char *info[] = {(char *)"info", NULL};
        struct action_result *res;

        res = render(reply_new("as", 3, "a", "b", "c"), (char *[]){(char *)"tags", NULL}, NULL);
        CHECK_STREQ(values_of(res, "tags"), "a|b|c");
        CHECK_INT(field(res, "tags")->type, FORM_FIELD_TEXT_MULTI);
        action_result_free(res);

        /* A dict: one field per entry, labelled by the key; variants are unwrapped. */
        res = render(reply_new("a{sv}", 3, "Name", "s", "test", "Count", "u", 3, "Tags", "as", 2,
                               "x", "y\"z"),
                     info, NULL);
        CHECK_INT(res->form->n_fields, 3);
        CHECK_STREQ(values_of(res, "info.Name"), "test");
        CHECK_STREQ(field(res, "info.Name")->label, "Name");
        CHECK_STREQ(values_of(res, "info.Count"), "3");
        CHECK_STREQ(values_of(res, "info.Tags"), "[\"x\", \"y\\\"z\"]");
        action_result_free(res);

        /* A struct, a variant holding an array, nested arrays and dicts. */
        res = render(reply_new("(si)vaasa{ia{sb}}", "answer", 42, "as", 2, "p", "q", 2, 1, "m", 0,
                               1, 7, 1, "on", 1),
                     NULL, NULL);
        CHECK_STREQ(values_of(res, "result1"), "(\"answer\", 42)");
        CHECK_STREQ(values_of(res, "result2"), "p|q");
        CHECK_STREQ(values_of(res, "result3"), "[\"m\"]|[]");
        CHECK_STREQ(values_of(res, "result4.7"), "{\"on\": true}");
        action_result_free(res);
}

static void test_table(void)
{
        char *names[] = {(char *)"people", (char *)"pairs", NULL};
        char *columns[] = {(char *)"Name", (char *)"Age", NULL};
        struct action_result *res;
        struct form_result *f;

        res = render(reply_new("a(sus)a(si)", 2, "alice", 30, "alice@example.org", "bob", 25,
                               "bob@example.org", 1, "x", 1),
                     names, columns);
        f = res->form;
        CHECK_INT(f->n_columns, 3);
        CHECK_STREQ(f->columns[0].var, "people.1");
        CHECK_STREQ(f->columns[0].label, "Name");
        CHECK_STREQ(f->columns[1].label, "Age");
        CHECK_STREQ(f->columns[2].label, "people 3"); /* no label given: a default */
        CHECK_INT(f->n_rows, 2);
        CHECK_STREQ(f->rows[1][0], "bob");
        CHECK_STREQ(f->rows[1][1], "25");
        CHECK_STREQ(f->rows[1][2], "bob@example.org");
        /* Only one table per form: the second array of structs is text. */
        CHECK_STREQ(values_of(res, "pairs"), "(\"x\", 1)");
        action_result_free(res);
}

static void test_cleaning_and_limits(void)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        sd_bus_message *reply = NULL;
        _cleanup_free_ char *big = NULL;
        struct action_result *res;

        /* XML cannot carry control characters. */
        res = render(reply_new("ss", "bell\a and \x1b escape", "tab\tand\nnewline"), NULL, NULL);
        CHECK_STREQ(values_of(res, "result1"), "bell\xEF\xBF\xBD and \xEF\xBF\xBD escape");
        CHECK_STREQ(values_of(res, "result2"), "tab\tand\nnewline");
        action_result_free(res);

        /* Long text is cut, on a character boundary. */
        big = malloc(DBUS_RESULT_MAX_TEXT + 100);
        for (size_t i = 0; big && i < DBUS_RESULT_MAX_TEXT + 98; i += 2)
                memcpy(big + i, "\xC3\xA9", 2);
        if (big)
                big[DBUS_RESULT_MAX_TEXT + 98] = '\0';
        res = render(reply_new("s", big), NULL, NULL);
        CHECK(strlen(values_of(res, "result")) <= DBUS_RESULT_MAX_TEXT + 3);
        CHECK(strstr(values_of(res, "result"), "\xC3\xA9…") != NULL);
        action_result_free(res);

        /* Long arrays are cut, with a warning. */
        CHECK(sd_bus_message_new_method_call(bus, &call, "a.b", "/a", "a.b", "X") >= 0);
        CHECK(sd_bus_message_seal(call, 1, 0) >= 0);
        CHECK(sd_bus_message_new_method_return(call, &reply) >= 0);
        CHECK(sd_bus_message_open_container(reply, 'a', "u") >= 0);
        for (uint32_t i = 0; i < DBUS_RESULT_MAX_ITEMS + 5; i++)
                CHECK(sd_bus_message_append(reply, "u", i) >= 0);
        CHECK(sd_bus_message_close_container(reply) >= 0);
        CHECK(sd_bus_message_append(reply, "s", "after") >= 0);
        CHECK(sd_bus_message_seal(reply, 2, 0) >= 0);
        res = render(reply, NULL, NULL);
        CHECK_INT(strv_length(field(res, "result1")->values), DBUS_RESULT_MAX_ITEMS);
        CHECK_STREQ(values_of(res, "result2"), "after"); /* the rest is still read */
        CHECK_INT(res->n_notes, 1);
        CHECK_INT(res->notes[0].type, NOTE_WARN);
        action_result_free(res);
}

static struct dbus_config cfg = {
    .bus = (char *)"session",
    .destination = (char *)"org.mpris.MediaPlayer2.vlc",
    .path = (char *)"/org/mpris/MediaPlayer2",
    .interface = (char *)"org.mpris.MediaPlayer2.Player",
    .kind = DBUS_CALL_METHOD,
    .member = (char *)"PlayPause",
    .timeout = 300 * USEC_PER_MSEC,
};

static void error_note_in(const char *lang, const char *name, const char *message,
                          const char *expected)
{
        struct action_result *res = action_result_new();

        CHECK_INT(dbus_result_add_error(res, &cfg, lang, name, message), 0);
        CHECK_INT(res->n_notes, 1);
        CHECK_INT(res->notes[0].type, NOTE_ERROR);
        CHECK_INT(res->error, 0); /* completed, with an error note */
        if (!strstr(res->notes[0].text, expected)) {
                fprintf(stderr, "note '%s' lacks '%s'\n", res->notes[0].text, expected);
                CHECK(false);
        }
        action_result_free(res);
}

static void error_note(const char *name, const char *message, const char *expected)
{
        error_note_in("en", name, message, expected);
}

static void test_errors(void)
{
        error_note(SD_BUS_ERROR_SERVICE_UNKNOWN, "The name is not activatable",
                   "org.mpris.MediaPlayer2.vlc is not running on the session bus. "
                   "org.freedesktop.DBus.Error.ServiceUnknown: The name is not activatable");
        error_note(SD_BUS_ERROR_NO_REPLY, "Method call timed out",
                   "did not answer within 300ms. org.freedesktop.DBus.Error.NoReply");
        error_note(SD_BUS_ERROR_ACCESS_DENIED, "denied",
                   "does not let adhocd's user call org.mpris.MediaPlayer2.Player.PlayPause");
        error_note(SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED, "auth",
                   "must grant this action to adhocd's user with a polkit rule");
        error_note(SD_BUS_ERROR_UNKNOWN_METHOD, "no", "has no method");
        error_note("org.example.Error.Custom", "it broke", "org.example.Error.Custom: it broke");
        error_note("org.example.Error.Custom", "", "org.example.Error.Custom");
        error_note("org.example.Error.Custom", "ding\a", "ding\xEF\xBF\xBD");
        error_note(NULL, NULL, "org.freedesktop.DBus.Error.Failed");
        cfg.timeout = 25 * USEC_PER_SEC;
        error_note(SD_BUS_ERROR_TIMEOUT, "t", "within 25s");
        cfg.bus = (char *)"unix:path=/run/x";
        error_note(SD_BUS_ERROR_SERVICE_UNKNOWN, "x",
                   "is not running on the bus at unix:path=/run/x");

        struct action_result *res = action_result_new();
        CHECK_INT(dbus_result_add_unavailable(res, &cfg, NULL), 0);
        CHECK(strstr(res->notes[0].text, "bus unavailable") == res->notes[0].text);
        action_result_free(res);
        cfg.bus = (char *)"session";
        cfg.timeout = 300 * USEC_PER_MSEC;
}

/* The agent's sentences follow the requester's language; D-Bus's name and message do not. */
static void test_errors_in_french(void)
{
        sd_bus_message *reply;
        struct action_result *res;

        error_note_in("fr", SD_BUS_ERROR_SERVICE_UNKNOWN, "The name is not activatable",
                      "org.mpris.MediaPlayer2.vlc n'est pas lancé sur le bus de session. "
                      "org.freedesktop.DBus.Error.ServiceUnknown: The name is not activatable");
        error_note_in("fr-CA", SD_BUS_ERROR_NO_REPLY, "Method call timed out",
                      "org.mpris.MediaPlayer2.vlc n'a pas répondu en 300ms. "
                      "org.freedesktop.DBus.Error.NoReply: Method call timed out");
        error_note_in("fr", SD_BUS_ERROR_UNKNOWN_METHOD, "no",
                      "n'a pas de méthode org.mpris.MediaPlayer2.Player.PlayPause");
        error_note_in("fr", "org.example.Error.Custom", "it broke",
                      "org.example.Error.Custom: it broke");
        /* Any other language: English. */
        error_note_in("de", SD_BUS_ERROR_SERVICE_UNKNOWN, "x",
                      "org.mpris.MediaPlayer2.vlc is not running on the session bus.");

        /* The labels the agent makes up for unnamed values. */
        reply = reply_new("us", 7, "x");
        res = action_result_new();
        CHECK_INT(dbus_result_from_reply(reply, NULL, NULL, "fr", res), 0);
        reply = sd_bus_message_unref(reply);
        CHECK_STREQ(field(res, "result1")->label, "Résultat 1");
        CHECK_STREQ(field(res, "result2")->label, "Résultat 2");
        action_result_free(res);

        res = action_result_new();
        CHECK_INT(dbus_result_add_unavailable(res, &cfg, "fr"), 0);
        CHECK_STREQ(res->notes[0].text,
                    "bus indisponible : adhocd n'a pas de connexion avec le bus de session pour "
                    "l'instant et continue d'essayer ; réessayez bientôt.");
        action_result_free(res);
}

int main(void)
{
        setup();
        test_basic();
        test_containers();
        test_table();
        test_cleaning_and_limits();
        test_errors();
        test_errors_in_french();
        sd_bus_close_unref(bus);
        close(peer);
        return TESTS_RESULT();
}
