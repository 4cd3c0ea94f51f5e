/* SPDX-License-Identifier: MIT */
/*
 * One player's state, from the a{sv} of its properties (GetAll replies and PropertiesChanged),
 * and the texts the forms and notes show of it. Everything a player says is untrusted text:
 * it is cleaned and cut before it reaches a form. MPRIS does not signal Position changes, so
 * the position is extrapolated from the last one read while the player plays.
 */
#include <stdio.h>

#include "mpris-internal.h"

int mpris_player_new(const char *name, const char *owner, struct mpris_player **ret)
{
        struct mpris_player *p = zalloc(sizeof(*p));

        if (!p)
                return -ENOMEM;
        p->name = strdup(name);
        p->owner = strdup_or_null(owner);
        if (!p->name || (owner && !p->owner)) {
                mpris_player_free(p);
                return -ENOMEM;
        }
        p->length = -1;
        p->position = -1;
        p->rate = 1.0;
        *ret = p;
        return 0;
}

struct mpris_player *mpris_player_free(struct mpris_player *p)
{
        if (!p)
                return NULL;
        sd_bus_slot_unref(p->read_root);
        sd_bus_slot_unref(p->read_player);
        free(p->name);
        free(p->owner);
        free(p->identity);
        free(p->status);
        free(p->title);
        free(p->artist);
        free(p->album);
        free(p->trackid);
        free(p);
        return NULL;
}

/* ---- Texts ---- */

static size_t utf8_char_length(const unsigned char *s)
{
        if (s[0] < 0x80)
                return 1;
        if ((s[0] & 0xE0) == 0xC0 && (s[1] & 0xC0) == 0x80)
                return 2;
        if ((s[0] & 0xF0) == 0xE0 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80)
                return 3;
        if ((s[0] & 0xF8) == 0xF0 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80 &&
            (s[3] & 0xC0) == 0x80)
                return 4;
        return 0; /* not UTF-8 */
}

char *mpris_text_clean(const char *s)
{
        static const char replacement[] = "\xEF\xBF\xBD", ellipsis[] = "…";
        size_t len = strnlen(s, MPRIS_TEXT_MAX * 4);
        /* Each input byte gives at most 3 output bytes. */
        char *out = malloc(3 * (len < MPRIS_TEXT_MAX ? len : MPRIS_TEXT_MAX) + sizeof(ellipsis));
        size_t o = 0;

        if (!out)
                return NULL;
        for (const unsigned char *p = (const unsigned char *)s; *p;) {
                size_t n = utf8_char_length(p);
                const char *add = (const char *)p;
                size_t add_len = n;

                if (n == 0) {
                        add = replacement;
                        add_len = 3;
                        n = 1;
                } else if (*p == '\t' || *p == '\n' || *p == '\r') {
                        add = " "; /* shown on one line */
                } else if (*p < 0x20 || *p == 0x7F ||
                           (n == 3 && p[0] == 0xEF && p[1] == 0xBF && p[2] >= 0xBE)) {
                        /* Control characters, and U+FFFE/U+FFFF that XML cannot carry. */
                        add = replacement;
                        add_len = 3;
                }
                if (o + add_len > MPRIS_TEXT_MAX) {
                        memcpy(out + o, ellipsis, sizeof(ellipsis) - 1);
                        o += sizeof(ellipsis) - 1;
                        break;
                }
                memcpy(out + o, add, add_len);
                o += add_len;
                p += n;
        }
        out[o] = '\0';
        return out;
}

void mpris_format_time(int64_t usec, char *buf, size_t size)
{
        uint64_t s = usec > 0 ? (uint64_t)usec / USEC_PER_SEC : 0;

        if (s >= 3600)
                snprintf(buf, size, "%u:%02u:%02u", (unsigned)(s / 3600), (unsigned)(s / 60 % 60),
                         (unsigned)(s % 60));
        else
                snprintf(buf, size, "%u:%02u", (unsigned)(s / 60), (unsigned)(s % 60));
}

const char *mpris_player_label(const struct mpris_player *p)
{
        if (!isempty(p->identity))
                return p->identity;
        return p->name + strlen(MPRIS_PREFIX);
}

bool mpris_player_is_playing(const struct mpris_player *p)
{
        return streq_ptr(p->status, "Playing");
}

int64_t mpris_player_position(const struct mpris_player *p, usec_t now)
{
        int64_t pos = p->position;

        if (pos < 0)
                return -1;
        if (mpris_player_is_playing(p) && now > p->position_at && p->rate > 0)
                pos += (int64_t)((double)(now - p->position_at) * p->rate);
        if (p->length > 0 && pos > p->length)
                pos = p->length;
        return pos;
}

int mpris_player_volume_pct(const struct mpris_player *p)
{
        if (!p->has_volume)
                return -1;
        if (!(p->volume > 0)) /* NaN too */
                return 0;
        if (p->volume > 100)
                return 10000;
        return (int)(p->volume * 100 + 0.5);
}

const char *mpris_player_status_text(const struct mpris_player *p, const char *lang)
{
        /* The three values MPRIS defines; anything else is shown as the player says it. */
        if (!p->status)
                return l10n(lang, "Unknown");
        if (streq(p->status, "Playing"))
                return l10n(lang, "Playing");
        if (streq(p->status, "Paused"))
                return l10n(lang, "Paused");
        if (streq(p->status, "Stopped"))
                return l10n(lang, "Stopped");
        return p->status;
}

char *mpris_player_now_playing(const struct mpris_player *p, const char *lang)
{
        char *s;

        if (!isempty(p->title) && !isempty(p->artist)) {
                if (asprintf(&s, "%s — %s", p->title, p->artist) < 0)
                        return NULL;
                return s;
        }
        if (!isempty(p->title))
                return strdup(p->title);
        if (!isempty(p->artist))
                return strdup(p->artist);
        return strdup(l10n(lang, "Nothing"));
}

char *mpris_player_status_line(const struct mpris_player *p, usec_t now, const char *lang)
{
        int64_t pos = mpris_player_position(p, now);
        char at[32] = "", total[32] = "";
        char *s;

        if (pos >= 0)
                mpris_format_time(pos, at, sizeof(at));
        if (pos >= 0 && p->length > 0)
                mpris_format_time(p->length, total, sizeof(total));
        if (asprintf(&s, "%s%s%s%s%s", mpris_player_status_text(p, lang), *at ? " · " : "", at,
                     *total ? " / " : "", total) < 0)
                return NULL;
        return s;
}

char *mpris_player_summary(const struct mpris_player *p, usec_t now, const char *lang)
{
        _cleanup_free_ char *what = mpris_player_now_playing(p, lang);
        char *s;

        if (!what)
                return NULL;
        if (asprintf(&s, l10n(lang, "%s: %s · %s"), mpris_player_label(p),
                     mpris_player_status_text(p, lang), what) < 0)
                return NULL;
        return s;
}

/* ---- Properties ---- */

/* Reads a variant holding a string (or object path); 0 and skipped when of another type. */
static int read_string(sd_bus_message *m, char **ret, bool clean)
{
        const char *contents, *s;
        char type;
        char *v;
        int r;

        r = sd_bus_message_peek_type(m, &type, &contents);
        if (r < 0)
                return r;
        if (!streq(contents, "s") && !streq(contents, "o"))
                return sd_bus_message_skip(m, "v");
        r = sd_bus_message_read(m, "v", contents, &s);
        if (r < 0)
                return r;
        v = clean ? mpris_text_clean(s) : strdup(s);
        if (!v)
                return -ENOMEM;
        free(*ret);
        *ret = v;
        return 1;
}

static int read_bool(sd_bus_message *m, bool *ret)
{
        const char *contents;
        char type;
        int b, r;

        r = sd_bus_message_peek_type(m, &type, &contents);
        if (r < 0)
                return r;
        if (!streq(contents, "b"))
                return sd_bus_message_skip(m, "v");
        r = sd_bus_message_read(m, "v", "b", &b);
        if (r < 0)
                return r;
        *ret = b;
        return 1;
}

/* Numbers come with various types from various players: any integer or a double. */
static int read_number(sd_bus_message *m, double *ret)
{
        const char *contents;
        union dbus_basic v;
        char type;
        int r;

        r = sd_bus_message_peek_type(m, &type, &contents);
        if (r < 0)
                return r;
        if (strlen(contents) != 1 || !strchr("ynqiuxtd", contents[0]))
                return sd_bus_message_skip(m, "v");
        r = sd_bus_message_enter_container(m, 'v', contents);
        if (r < 0)
                return r;
        r = sd_bus_message_read_basic(m, contents[0], &v);
        if (r < 0)
                return r;
        switch (contents[0]) {
        case 'y':
                *ret = v.y;
                break;
        case 'n':
                *ret = v.n;
                break;
        case 'q':
                *ret = v.q;
                break;
        case 'i':
                *ret = v.i;
                break;
        case 'u':
                *ret = v.u;
                break;
        case 'x':
                *ret = (double)v.x;
                break;
        case 't':
                *ret = (double)v.t;
                break;
        default:
                *ret = v.d;
                break;
        }
        r = sd_bus_message_exit_container(m);
        return r < 0 ? r : 1;
}

static int read_usec(sd_bus_message *m, int64_t *ret)
{
        double d;
        int r;

        r = read_number(m, &d);
        if (r <= 0)
                return r;
        /* NaN and negative values are unknown; converting them would be undefined. */
        *ret = !(d >= 0) ? -1 : d > 1e17 ? (int64_t)1e17 : (int64_t)d;
        return 1;
}

/* xesam:artist is a list; a few players send a string. Joined with ", ". */
static int read_artists(sd_bus_message *m, char **ret)
{
        _cleanup_free_ char *joined = NULL;
        const char *contents, *s;
        char type;
        int r;

        r = sd_bus_message_peek_type(m, &type, &contents);
        if (r < 0)
                return r;
        if (streq(contents, "s"))
                return read_string(m, ret, true);
        if (!streq(contents, "as"))
                return sd_bus_message_skip(m, "v");
        r = sd_bus_message_enter_container(m, 'v', "as");
        if (r >= 0)
                r = sd_bus_message_enter_container(m, 'a', "s");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(m, "s", &s)) > 0) {
                char *t;

                if (!*s || (joined && strlen(joined) > MPRIS_TEXT_MAX))
                        continue;
                if (asprintf(&t, "%s%s%s", joined ? joined : "", joined ? ", " : "", s) < 0)
                        return -ENOMEM;
                free(joined);
                joined = t;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        free(*ret);
        *ret = joined ? mpris_text_clean(joined) : NULL;
        return joined && !*ret ? -ENOMEM : 1;
}

/* Sets *ret_new_track when the track changed. */
static int apply_metadata(struct mpris_player *p, sd_bus_message *m, bool *ret_new_track)
{
        _cleanup_free_ char *trackid = NULL;
        const char *key;
        int r;

        r = sd_bus_message_enter_container(m, 'v', "a{sv}");
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        /* Metadata comes whole: what it lacks is unknown now. */
        free(p->title);
        free(p->artist);
        free(p->album);
        p->title = p->artist = p->album = NULL;
        p->length = -1;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                r = sd_bus_message_read(m, "s", &key);
                if (r < 0)
                        return r;
                if (streq(key, "xesam:title"))
                        r = read_string(m, &p->title, true);
                else if (streq(key, "xesam:album"))
                        r = read_string(m, &p->album, true);
                else if (streq(key, "xesam:artist"))
                        r = read_artists(m, &p->artist);
                else if (streq(key, "mpris:length"))
                        r = read_usec(m, &p->length);
                else if (streq(key, "mpris:trackid"))
                        r = read_string(m, &trackid, false);
                else
                        r = sd_bus_message_skip(m, "v");
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        /* Without a track id, new metadata is taken for a new track. */
        if (!streq_ptr(trackid, p->trackid) || !trackid) {
                *ret_new_track = true;
                free(p->trackid);
                p->trackid = TAKE_PTR(trackid);
        }
        return 0;
}

/* Which properties one a{sv} carried, for the position's bookkeeping. */
struct seen {
        bool position, status, new_track;
};

static int apply_player_property(struct mpris_player *p, const char *key, sd_bus_message *m,
                                 struct seen *seen)
{
        static const struct {
                const char *name;
                size_t offset;
        } flags[] = {
            {"CanGoNext", offsetof(struct mpris_player, can_next)},
            {"CanGoPrevious", offsetof(struct mpris_player, can_previous)},
            {"CanPlay", offsetof(struct mpris_player, can_play)},
            {"CanPause", offsetof(struct mpris_player, can_pause)},
            {"CanSeek", offsetof(struct mpris_player, can_seek)},
            {"CanControl", offsetof(struct mpris_player, can_control)},
        };
        int r;

        for (size_t i = 0; i < ELEMENTSOF(flags); i++)
                if (streq(key, flags[i].name))
                        return read_bool(m, (bool *)((char *)p + flags[i].offset));
        if (streq(key, "PlaybackStatus")) {
                seen->status = true;
                return read_string(m, &p->status, true);
        }
        if (streq(key, "Metadata"))
                return apply_metadata(p, m, &seen->new_track);
        if (streq(key, "Position")) {
                seen->position = true;
                return read_usec(m, &p->position);
        }
        if (streq(key, "Volume")) {
                r = read_number(m, &p->volume);
                if (r > 0)
                        p->has_volume = true;
                return r;
        }
        if (streq(key, "Rate"))
                return read_number(m, &p->rate);
        return sd_bus_message_skip(m, "v");
}

int mpris_player_apply(struct mpris_player *p, const char *interface, sd_bus_message *m, usec_t now)
{
        bool player = streq(interface, MPRIS_IFACE_PLAYER);
        int64_t before = mpris_player_position(p, now);
        struct seen seen = {0};
        const char *key;
        int r;

        if (!player && !streq(interface, MPRIS_IFACE_ROOT))
                return sd_bus_message_skip(m, "a{sv}");
        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                r = sd_bus_message_read(m, "s", &key);
                if (r < 0)
                        return r;
                if (player)
                        r = apply_player_property(p, key, m, &seen);
                else if (streq(key, "Identity"))
                        r = read_string(m, &p->identity, true);
                else
                        r = sd_bus_message_skip(m, "v");
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        if (!player)
                return 0;
        /* A Position read is exact; a new track starts at 0; a status change stops or starts
         * the clock at the position reached. */
        if (seen.new_track && !seen.position)
                p->position = 0;
        else if (seen.status && !seen.position && before >= 0)
                p->position = before;
        if (seen.status || seen.new_track || seen.position)
                p->position_at = now;
        if (!(p->rate > 0 && p->rate <= 1000)) /* NaN too */
                p->rate = 1.0;
        return 0;
}

void mpris_player_seeked(struct mpris_player *p, int64_t position, usec_t now)
{
        p->position = position < 0 ? 0 : position;
        p->position_at = now;
}
