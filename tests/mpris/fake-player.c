/* SPDX-License-Identifier: MIT */
/*
 * A fake MPRIS player for the media remote's tests: org.mpris.MediaPlayer2 and its Player
 * interface on /org/mpris/MediaPlayer2, a playlist of --tracks tracks, capabilities that can be
 * turned off, and PropertiesChanged/Seeked signals like a real player. Prints READY once its
 * name is owned; exits on SIGTERM or Quit.
 *
 *   fake-player --address ADDR [--name SUFFIX | --full-name NAME] [--identity TEXT]
 *               [--status Playing|Paused|Stopped] [--volume 0.5] [--tracks 3]
 *               [--title TEXT] [--no next|previous|play|pause|seek|control]... [--hang METHOD]
 */
#include <getopt.h>
#include <stddef.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>
#include <time.h>

#define PATH   "/org/mpris/MediaPlayer2"
#define ROOT   "org.mpris.MediaPlayer2"
#define PLAYER "org.mpris.MediaPlayer2.Player"

#define TRACK_LENGTH (180 * 1000000LL)

struct fake_state {
        const char *identity;
        const char *status;
        const char *first_title;
        double volume, rate;
        unsigned tracks, track;
        int64_t position; /* µs at position_at */
        uint64_t position_at;
        int can_next, can_previous, can_play, can_pause, can_seek, can_control;
        const char *hang;
};

static struct fake_state st = {
    .identity = "Fake Player",
    .status = "Paused",
    .volume = 0.5,
    .rate = 1.0,
    .tracks = 3,
    .can_next = 1,
    .can_previous = 1,
    .can_play = 1,
    .can_pause = 1,
    .can_seek = 1,
    .can_control = 1,
};

static sd_bus *bus;
static sd_event *event;

static uint64_t now_us(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int64_t position_now(void)
{
        int64_t p = st.position;

        if (strcmp(st.status, "Playing") == 0)
                p += (int64_t)(now_us() - st.position_at);
        return p > TRACK_LENGTH ? TRACK_LENGTH : p;
}

static void set_position(int64_t p)
{
        st.position = p < 0 ? 0 : p;
        st.position_at = now_us();
}

static void changed(const char *iface, const char *prop, const char *prop2)
{
        (void)sd_bus_emit_properties_changed(bus, PATH, iface, prop, prop2, NULL);
}

static void set_status(const char *status)
{
        if (strcmp(status, st.status) == 0)
                return;
        set_position(position_now()); /* the clock stops or starts here */
        st.status = status;
        changed(PLAYER, "PlaybackStatus", NULL);
}

static bool hang(sd_bus_message *m)
{
        /* Never answered: the caller's timeout is what is tested. */
        return st.hang && strcmp(st.hang, sd_bus_message_get_member(m)) == 0;
}

static int reply(sd_bus_message *m)
{
        return sd_bus_reply_method_return(m, NULL);
}

/* ---- Player methods ---- */

static int m_play_pause(sd_bus_message *m, void *u, sd_bus_error *e)
{
        bool playing = strcmp(st.status, "Playing") == 0;

        if (hang(m))
                return 1;
        if (st.can_control && playing && st.can_pause)
                set_status("Paused");
        else if (st.can_control && !playing && st.can_play)
                set_status("Playing");
        return reply(m);
}

static int m_play(sd_bus_message *m, void *u, sd_bus_error *e)
{
        if (st.can_control && st.can_play)
                set_status("Playing");
        return reply(m);
}

static int m_pause(sd_bus_message *m, void *u, sd_bus_error *e)
{
        if (st.can_control && st.can_pause)
                set_status("Paused");
        return reply(m);
}

static int m_stop(sd_bus_message *m, void *u, sd_bus_error *e)
{
        if (hang(m))
                return 1;
        if (st.can_control) {
                set_status("Stopped");
                set_position(0);
        }
        return reply(m);
}

static void go_to(unsigned track)
{
        st.track = track;
        set_position(0);
        changed(PLAYER, "Metadata", NULL);
}

static int m_next(sd_bus_message *m, void *u, sd_bus_error *e)
{
        if (hang(m))
                return 1;
        if (st.can_control && st.can_next && st.track + 1 < st.tracks)
                go_to(st.track + 1);
        return reply(m);
}

static int m_previous(sd_bus_message *m, void *u, sd_bus_error *e)
{
        if (hang(m))
                return 1;
        if (st.can_control && st.can_previous && st.track > 0)
                go_to(st.track - 1);
        return reply(m);
}

static int m_seek(sd_bus_message *m, void *u, sd_bus_error *e)
{
        int64_t offset;
        int r;

        r = sd_bus_message_read(m, "x", &offset);
        if (r < 0)
                return r;
        if (st.can_control && st.can_seek) {
                set_position(position_now() + offset);
                (void)sd_bus_emit_signal(bus, PATH, PLAYER, "Seeked", "x", st.position);
        }
        return reply(m);
}

static int m_set_position(sd_bus_message *m, void *u, sd_bus_error *e)
{
        const char *track;
        int64_t pos;
        int r;

        r = sd_bus_message_read(m, "ox", &track, &pos);
        if (r < 0)
                return r;
        if (st.can_control && st.can_seek) {
                set_position(pos);
                (void)sd_bus_emit_signal(bus, PATH, PLAYER, "Seeked", "x", st.position);
        }
        return reply(m);
}

static int m_open_uri(sd_bus_message *m, void *u, sd_bus_error *e)
{
        return sd_bus_error_set(e, SD_BUS_ERROR_NOT_SUPPORTED, "no URIs here");
}

/* ---- Player properties ---- */

static int p_status(sd_bus *b, const char *path, const char *iface, const char *prop,
                    sd_bus_message *reply_msg, void *u, sd_bus_error *e)
{
        return sd_bus_message_append(reply_msg, "s", st.status);
}

static int p_metadata(sd_bus *b, const char *path, const char *iface, const char *prop,
                      sd_bus_message *m, void *u, sd_bus_error *e)
{
        char trackid[64], title[256];
        int r;

        snprintf(trackid, sizeof(trackid), "/org/adhocd/fake/track%u", st.track + 1);
        if (st.track == 0 && st.first_title)
                snprintf(title, sizeof(title), "%s", st.first_title);
        else
                snprintf(title, sizeof(title), "Track %u", st.track + 1);
        r = sd_bus_message_open_container(m, 'a', "{sv}");
        if (r >= 0)
                r = sd_bus_message_append(m, "{sv}", "mpris:trackid", "o", trackid);
        if (r >= 0)
                r = sd_bus_message_append(m, "{sv}", "mpris:length", "x", TRACK_LENGTH);
        if (r >= 0)
                r = sd_bus_message_append(m, "{sv}", "xesam:title", "s", title);
        if (r >= 0)
                r = sd_bus_message_append(m, "{sv}", "xesam:artist", "as", 2, "Fake Artist",
                                          "Guest");
        if (r >= 0)
                r = sd_bus_message_append(m, "{sv}", "xesam:album", "s", "Fake Album");
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

static int p_position(sd_bus *b, const char *path, const char *iface, const char *prop,
                      sd_bus_message *m, void *u, sd_bus_error *e)
{
        return sd_bus_message_append(m, "x", position_now());
}

static int p_volume_set(sd_bus *b, const char *path, const char *iface, const char *prop,
                        sd_bus_message *value, void *u, sd_bus_error *e)
{
        double v;
        int r;

        r = sd_bus_message_read(value, "d", &v);
        if (r < 0)
                return r;
        if (!st.can_control)
                return sd_bus_error_set(e, SD_BUS_ERROR_ACCESS_DENIED, "CanControl is false");
        st.volume = v < 0 ? 0 : v;
        changed(PLAYER, "Volume", NULL);
        return 1;
}

static const sd_bus_vtable player_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD("PlayPause", "", "", m_play_pause, 0),
    SD_BUS_METHOD("Play", "", "", m_play, 0),
    SD_BUS_METHOD("Pause", "", "", m_pause, 0),
    SD_BUS_METHOD("Stop", "", "", m_stop, 0),
    SD_BUS_METHOD("Next", "", "", m_next, 0),
    SD_BUS_METHOD("Previous", "", "", m_previous, 0),
    SD_BUS_METHOD("Seek", "x", "", m_seek, 0),
    SD_BUS_METHOD("SetPosition", "ox", "", m_set_position, 0),
    SD_BUS_METHOD("OpenUri", "s", "", m_open_uri, 0),
    SD_BUS_PROPERTY("PlaybackStatus", "s", p_status, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Rate", "d", NULL, offsetof(struct fake_state, rate),
                    SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Metadata", "a{sv}", p_metadata, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_WRITABLE_PROPERTY("Volume", "d", NULL, p_volume_set, offsetof(struct fake_state, volume),
                             SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Position", "x", p_position, 0, 0),
    SD_BUS_PROPERTY("MinimumRate", "d", NULL, offsetof(struct fake_state, rate),
                    SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("MaximumRate", "d", NULL, offsetof(struct fake_state, rate),
                    SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("CanGoNext", "b", NULL, offsetof(struct fake_state, can_next),
                    SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("CanGoPrevious", "b", NULL, offsetof(struct fake_state, can_previous),
                    SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("CanPlay", "b", NULL, offsetof(struct fake_state, can_play),
                    SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("CanPause", "b", NULL, offsetof(struct fake_state, can_pause),
                    SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("CanSeek", "b", NULL, offsetof(struct fake_state, can_seek),
                    SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("CanControl", "b", NULL, offsetof(struct fake_state, can_control),
                    SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_SIGNAL("Seeked", "x", 0),
    SD_BUS_VTABLE_END,
};

/* Properties without a getter are read from st at their offset (the vtable's userdata). */

/* ---- Root ---- */

static int m_raise(sd_bus_message *m, void *u, sd_bus_error *e)
{
        return reply(m);
}

static int m_quit(sd_bus_message *m, void *u, sd_bus_error *e)
{
        (void)sd_event_exit(event, 0);
        return reply(m);
}

static int p_identity(sd_bus *b, const char *path, const char *iface, const char *prop,
                      sd_bus_message *m, void *u, sd_bus_error *e)
{
        return sd_bus_message_append(m, "s", st.identity);
}

static int p_false(sd_bus *b, const char *path, const char *iface, const char *prop,
                   sd_bus_message *m, void *u, sd_bus_error *e)
{
        return sd_bus_message_append(m, "b", 0);
}

static int p_true(sd_bus *b, const char *path, const char *iface, const char *prop,
                  sd_bus_message *m, void *u, sd_bus_error *e)
{
        return sd_bus_message_append(m, "b", 1);
}

static int p_empty_list(sd_bus *b, const char *path, const char *iface, const char *prop,
                        sd_bus_message *m, void *u, sd_bus_error *e)
{
        return sd_bus_message_append(m, "as", 0);
}

static const sd_bus_vtable root_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD("Raise", "", "", m_raise, 0),
    SD_BUS_METHOD("Quit", "", "", m_quit, 0),
    SD_BUS_PROPERTY("CanQuit", "b", p_true, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("CanRaise", "b", p_false, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("HasTrackList", "b", p_false, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Identity", "s", p_identity, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("SupportedUriSchemes", "as", p_empty_list, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("SupportedMimeTypes", "as", p_empty_list, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_VTABLE_END,
};

/* ---- Setup ---- */

static int disable(const char *what)
{
        static const struct {
                const char *name;
                int *flag;
        } caps[] = {
            {"next", &st.can_next},   {"previous", &st.can_previous}, {"play", &st.can_play},
            {"pause", &st.can_pause}, {"seek", &st.can_seek},         {"control", &st.can_control},
        };

        for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
                if (strcmp(what, caps[i].name) == 0) {
                        *caps[i].flag = 0;
                        return 0;
                }
        fprintf(stderr, "unknown capability %s\n", what);
        return -1;
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
            {"address", required_argument, NULL, 'a'},
            {"name", required_argument, NULL, 'n'},
            {"full-name", required_argument, NULL, 'N'},
            {"identity", required_argument, NULL, 'i'},
            {"status", required_argument, NULL, 's'},
            {"volume", required_argument, NULL, 'v'},
            {"tracks", required_argument, NULL, 't'},
            {"title", required_argument, NULL, 'T'},
            {"no", required_argument, NULL, 'x'},
            {"hang", required_argument, NULL, 'H'},
            {},
        };
        const char *address = NULL, *suffix = "fake", *full = NULL;
        char name[256];
        sigset_t mask;
        int c, r;

        while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0) {
                switch (c) {
                case 'a':
                        address = optarg;
                        break;
                case 'n':
                        suffix = optarg;
                        break;
                case 'N':
                        full = optarg;
                        break;
                case 'i':
                        st.identity = optarg;
                        break;
                case 's':
                        st.status = optarg;
                        break;
                case 'v':
                        st.volume = strtod(optarg, NULL);
                        break;
                case 't':
                        st.tracks = (unsigned)strtoul(optarg, NULL, 10);
                        break;
                case 'T':
                        st.first_title = optarg;
                        break;
                case 'x':
                        if (disable(optarg) < 0)
                                return 2;
                        break;
                case 'H':
                        st.hang = optarg;
                        break;
                default:
                        return 2;
                }
        }
        if (!address) {
                fprintf(stderr, "--address is required\n");
                return 2;
        }
        if (st.tracks == 0)
                st.tracks = 1;
        st.position_at = now_us();
        snprintf(name, sizeof(name), "%s%s", full ? "" : "org.mpris.MediaPlayer2.",
                 full ? full : suffix);

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        r = sd_event_new(&event);
        if (r >= 0)
                r = sd_event_add_signal(event, NULL, SIGTERM, NULL, NULL);
        if (r >= 0)
                r = sd_event_add_signal(event, NULL, SIGINT, NULL, NULL);
        if (r >= 0)
                r = sd_bus_new(&bus);
        if (r >= 0)
                r = sd_bus_set_address(bus, address);
        if (r >= 0)
                r = sd_bus_set_bus_client(bus, 1);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r >= 0)
                r = sd_bus_add_object_vtable(bus, NULL, PATH, ROOT, root_vtable, NULL);
        if (r >= 0)
                r = sd_bus_add_object_vtable(bus, NULL, PATH, PLAYER, player_vtable, &st);
        if (r >= 0)
                r = sd_bus_request_name(bus, name, 0);
        if (r >= 0)
                r = sd_bus_attach_event(bus, event, 0);
        if (r < 0) {
                fprintf(stderr, "fake-player: %s\n", strerror(-r));
                return 1;
        }
        printf("READY\n");
        fflush(stdout);
        r = sd_event_loop(event);
        sd_bus_flush_close_unref(bus);
        sd_event_unref(event);
        return r < 0 ? 1 : 0;
}
