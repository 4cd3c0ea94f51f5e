/* SPDX-License-Identifier: MIT */
/* The media remote's pure parts: its section, the players: globs, and the texts it shows. */
#include "mpris/mpris-internal.h"
#include "policy-helpers.h"

static struct diags d;

static struct mpris_config *parse(const char *yaml)
{
        return tests_parse_section(&mpris_feature, yaml, &d);
}

static bool has(enum diag_level level, const char *msg)
{
        return tests_has_diag(&d, level, NULL, 0, 0, msg);
}

static void test_defaults(void)
{
        struct mpris_config *c = parse("{allow: flatmates}");

        CHECK(c != NULL);
        if (!c)
                return;
        CHECK_INT(d.n, 0);
        CHECK_STREQ(c->bus, "session");
        CHECK_INT(c->timeout, MPRIS_TIMEOUT_DEFAULT);
        for (int a = 0; a < _MPRIS_ACTION_MAX; a++)
                CHECK(mpris_config_allows(c, a));
        CHECK(mpris_config_wants_name(c, "org.mpris.MediaPlayer2.vlc"));
        CHECK(mpris_config_wants_name(c, "org.mpris.MediaPlayer2.mpv.instance42"));
        /* Outside the namespace, or the bare prefix: never a player. */
        CHECK(!mpris_config_wants_name(c, "org.mpris.MediaPlayer2"));
        CHECK(!mpris_config_wants_name(c, "org.mpris.MediaPlayer2."));
        CHECK(!mpris_config_wants_name(c, "org.example.vlc"));
        CHECK(!mpris_config_wants_name(c, ":1.42"));
        CHECK(!mpris_config_wants_name(c, "org.mpris.MediaPlayer2vlc"));
        mpris_feature.free_cfg(c);

        c = parse("{}");
        CHECK(c != NULL && has(DIAG_WARNING, "mpris: no allow: nobody can use the media remote"));
        mpris_feature.free_cfg(c);
}

static void test_values(void)
{
        struct mpris_config *c;

        c = parse("{allow: x, players: [vlc, 'spotify*'], actions: [next, volume], "
                  "bus: 'unix:path=/run/bus', timeout: 500ms}");
        CHECK(c != NULL);
        if (!c)
                return;
        CHECK(mpris_config_wants_name(c, "org.mpris.MediaPlayer2.vlc"));
        CHECK(!mpris_config_wants_name(c, "org.mpris.MediaPlayer2.vlc.instance2"));
        CHECK(mpris_config_wants_name(c, "org.mpris.MediaPlayer2.spotifyd"));
        CHECK(!mpris_config_wants_name(c, "org.mpris.MediaPlayer2.mpv"));
        CHECK(mpris_config_allows(c, MPRIS_ACTION_NEXT));
        CHECK(mpris_config_allows(c, MPRIS_ACTION_VOLUME));
        CHECK(!mpris_config_allows(c, MPRIS_ACTION_PLAY_PAUSE));
        CHECK(!mpris_config_allows(c, MPRIS_ACTION_SEEK));
        CHECK(mpris_config_allows(c, MPRIS_ACTION_NONE));
        /* Operations follow their action. */
        CHECK(mpris_op_allowed(c, MPRIS_OP_VOLUME_UP));
        CHECK(mpris_op_allowed(c, MPRIS_OP_REFRESH));
        CHECK(!mpris_op_allowed(c, MPRIS_OP_SEEK_FORWARD));
        CHECK(!mpris_op_allowed(c, MPRIS_OP_STOP));
        CHECK_STREQ(c->bus, "unix:path=/run/bus");
        CHECK_INT(c->timeout, 500 * USEC_PER_MSEC);
        mpris_feature.free_cfg(c);
}

static void test_errors(void)
{
        CHECK(parse("[a]") == NULL && has(DIAG_ERROR, "expected a map"));
        CHECK(parse("{allow: x, colour: red}") == NULL && has(DIAG_ERROR, "unknown key 'colour'"));
        CHECK(parse("{allow: x, actions: [next, dance]}") == NULL &&
              has(DIAG_ERROR, "actions: unknown action 'dance'"));
        CHECK(parse("{allow: x, players: [org.mpris.MediaPlayer2.vlc]}") == NULL &&
              has(DIAG_ERROR, "players: write what follows org.mpris.MediaPlayer2. ('vlc')"));
        CHECK(parse("{allow: x, players: ['a b']}") == NULL &&
              has(DIAG_ERROR, "players: 'a b' is not a glob"));
        CHECK(parse("{allow: x, bus: nowhere}") == NULL &&
              has(DIAG_ERROR, "bus: must be session, system or a D-Bus address"));
        CHECK(parse("{allow: x, timeout: 0s}") == NULL &&
              has(DIAG_ERROR, "timeout: must be more than 0"));
        CHECK(parse("{allow: x, timeout: 1h}") == NULL &&
              has(DIAG_ERROR, "timeout: must be more than 0 and at most 5m"));
}

static void test_texts(void)
{
        char buf[32], *s, big[600];

        mpris_format_time(0, buf, sizeof(buf));
        CHECK_STREQ(buf, "0:00");
        mpris_format_time(62 * USEC_PER_SEC + 999999, buf, sizeof(buf));
        CHECK_STREQ(buf, "1:02");
        mpris_format_time(3723 * USEC_PER_SEC, buf, sizeof(buf));
        CHECK_STREQ(buf, "1:02:03");
        mpris_format_time(-5, buf, sizeof(buf));
        CHECK_STREQ(buf, "0:00");

        s = mpris_text_clean("Caf\xc3\xa9 \xe2\x80\x94 ok");
        CHECK_STREQ(s, "Caf\xc3\xa9 \xe2\x80\x94 ok");
        free(s);
        /* Control characters and what XML cannot carry become U+FFFD; line breaks spaces. */
        s = mpris_text_clean("a\x01"
                             "b\nc\xef\xbf\xbf"
                             "d\x7f");
        CHECK_STREQ(s, "a\xef\xbf\xbd"
                       "b c\xef\xbf\xbd"
                       "d\xef\xbf\xbd");
        free(s);
        s = mpris_text_clean("bad \xff byte");
        CHECK_STREQ(s, "bad \xef\xbf\xbd byte");
        free(s);
        /* Long texts are cut on a character boundary. */
        for (size_t i = 0; i < 298; i++)
                memcpy(big + 2 * i, "\xc3\xa9", 2);
        big[596] = '\0';
        s = mpris_text_clean(big);
        CHECK(s && strlen(s) <= MPRIS_TEXT_MAX + strlen("…"));
        CHECK(s && strcmp(s + strlen(s) - strlen("…"), "…") == 0);
        CHECK(s && utf8_is_clean(s, false));
        free(s);
}

static void test_player_texts(void)
{
        struct mpris_player *p = NULL;
        char *s;

        CHECK(mpris_player_new("org.mpris.MediaPlayer2.mpv", NULL, &p) >= 0);
        if (!p)
                return;
        CHECK_STREQ(mpris_player_label(p), "mpv");
        s = mpris_player_now_playing(p, NULL);
        CHECK_STREQ(s, "Nothing");
        free(s);
        s = mpris_player_status_line(p, 0, NULL);
        CHECK_STREQ(s, "Unknown");
        free(s);
        p->identity = strdup("mpv Media Player");
        p->title = strdup("Song");
        p->artist = strdup("Band");
        p->status = strdup("Paused");
        p->position = 62 * USEC_PER_SEC;
        p->length = 185 * USEC_PER_SEC;
        p->volume = 0.456;
        p->has_volume = true;
        s = mpris_player_summary(p, 0, NULL);
        CHECK_STREQ(s, "mpv Media Player: Paused · Song — Band");
        free(s);
        s = mpris_player_status_line(p, 10 * USEC_PER_SEC, NULL);
        CHECK_STREQ(s, "Paused · 1:02 / 3:05");
        free(s);
        CHECK_INT(mpris_player_volume_pct(p), 46);
        /* Playing: the position moves on with the clock, up to the length. */
        free(p->status);
        p->status = strdup("Playing");
        p->position_at = 1000 * USEC_PER_SEC;
        CHECK_INT(mpris_player_position(p, 1010 * USEC_PER_SEC), 72 * USEC_PER_SEC);
        CHECK_INT(mpris_player_position(p, 9000 * USEC_PER_SEC), 185 * USEC_PER_SEC);
        /* What a player says is not trusted to be a number. */
        p->volume = 0.0 / 0.0;
        CHECK_INT(mpris_player_volume_pct(p), 0);
        p->volume = 1e300;
        CHECK_INT(mpris_player_volume_pct(p), 10000);
        mpris_player_free(p);
}

int main(void)
{
        test_defaults();
        test_values();
        test_errors();
        test_texts();
        test_player_texts();
        diags_done(&d);
        return TESTS_RESULT();
}
