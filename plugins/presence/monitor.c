/* SPDX-License-Identifier: MIT */
/*
 * The presence state machine. Each step gets fresh probe values and the current time (so
 * tests drive it with explicit timestamps, without sleeping):
 *   - show: the first rule whose "when" holds, else available;
 *   - presence is published when the show changed (at once) or when the text changed and
 *     min_update has passed since the last publication; never when nothing changed;
 *   - alerts (headline messages) go out when the show leaves the normal states (available,
 *     chat), changes between abnormal ones, and on recovery; at most max_per_hour in any
 *     sliding hour, the suppressed ones summed up in the next message that may go out;
 *   - a manual status (remote control) replaces the computed one until it expires or is
 *     cleared; alerts keep following the computed state.
 */
#include <stdio.h>

#include "l10n.h"
#include "log.h"
#include "presence-internal.h"

#define USEC_PER_HOUR   (3600 * USEC_PER_SEC)
#define MANUAL_TEXT_MAX 1024

enum alert_kind { ALERT_ENTER, ALERT_CHANGE, ALERT_RECOVERY };

struct presence_monitor {
        const struct presence_config *cfg;
        const struct feature_host *host;
        char *hostname;

        /* Computed by the last step. */
        bool computed;
        enum presence_show show;
        size_t rule; /* index of the rule that matched, or SIZE_MAX */
        struct i18n status;

        /* Last published, since the agent went online. */
        bool published;
        enum presence_show pub_show;
        struct i18n pub_status;
        usec_t pub_time;

        /* Set remotely. */
        bool manual;
        enum presence_show manual_show;
        struct i18n manual_status;
        usec_t manual_until; /* USEC_INFINITY: until cleared */

        /* Alerts: the computed show last alerted about, when the last ones went out (at most
         * max_per_hour, oldest first) and how many were held back since. */
        enum presence_show alert_show;
        usec_t *sent;
        size_t n_sent;
        unsigned suppressed;
};

struct presence_monitor *presence_monitor_free(struct presence_monitor *m)
{
        if (!m)
                return NULL;
        free(m->hostname);
        i18n_done(&m->status);
        i18n_done(&m->pub_status);
        i18n_done(&m->manual_status);
        free(m->sent);
        free(m);
        return NULL;
}

int presence_monitor_new(const struct presence_config *cfg, const struct feature_host *host,
                         const char *hostname, struct presence_monitor **ret)
{
        _cleanup_(presence_monitor_freep) struct presence_monitor *m = NULL;

        m = zalloc(sizeof(*m));
        if (!m)
                return -ENOMEM;
        m->cfg = cfg;
        m->host = host;
        m->rule = SIZE_MAX;
        m->hostname = strdup(hostname);
        m->sent = calloc(cfg->max_per_hour ? cfg->max_per_hour : 1, sizeof(usec_t));
        if (!m->hostname || !m->sent)
                return -ENOMEM;
        *ret = TAKE_PTR(m);
        return 0;
}

bool presence_publish_is_due(const struct presence_published *last, enum presence_show show,
                             const struct i18n *status, usec_t now, usec_t min_update)
{
        if (!last->valid || show != last->show)
                return true;
        if (presence_i18n_equal(status, last->status))
                return false;
        return now >= last->time && now - last->time >= min_update;
}

static bool is_online(const struct presence_monitor *m)
{
        return !m->host->is_online || m->host->is_online(m->host->agent);
}

/* What should be published: the manual state when set, else the computed one. */
static void effective(const struct presence_monitor *m, enum presence_show *ret_show,
                      const struct i18n **ret_status)
{
        *ret_show = m->manual ? m->manual_show : m->show;
        *ret_status = m->manual ? &m->manual_status : &m->status;
}

static int publish(struct presence_monitor *m, usec_t now, bool force)
{
        const struct presence_published last = {
            .valid = m->published,
            .show = m->pub_show,
            .status = &m->pub_status,
            .time = m->pub_time,
        };
        const struct i18n *status;
        enum presence_show show;
        struct i18n copy;
        int r;

        if (!m->computed && !m->manual)
                return 0; /* nothing to say yet */
        if (!is_online(m)) {
                m->published = false; /* publish again once online */
                return 0;
        }
        effective(m, &show, &status);
        if (!force && !presence_publish_is_due(&last, show, status, now, m->cfg->min_update))
                return 0;
        r = presence_i18n_copy(status, &copy);
        if (r < 0)
                return r;
        m->host->publish_presence(m->host->agent, presence_show_xmpp(show), status);
        i18n_done(&m->pub_status);
        m->pub_status = copy;
        m->pub_show = show;
        m->pub_time = now;
        m->published = true;
        return 0;
}

static void prune_sent(struct presence_monitor *m, usec_t now)
{
        size_t keep = 0;

        for (size_t i = 0; i < m->n_sent; i++)
                if (now < m->sent[i] || now - m->sent[i] < USEC_PER_HOUR)
                        m->sent[keep++] = m->sent[i];
        m->n_sent = keep;
}

static void deliver(struct presence_monitor *m, usec_t now, const char *body)
{
        _cleanup_strv_free_ char **to = NULL;
        int r;

        r = m->host->resolve_access(m->host->agent, &m->cfg->alerts_to, &to);
        if (r < 0) {
                log_warning_errno(r, "presence: cannot resolve alerts.to, alert dropped: %m");
                return;
        }
        if (!to || !to[0])
                log_warning("presence: alerts.to admits no contact of the roster: %s", body);
        STRV_FOREACH (jid, to)
                m->host->send_message(m->host->agent, *jid, "headline", NULL, body);
        m->sent[m->n_sent++] = now;
}

/* Whether an alert may go out now; counts it as suppressed otherwise. */
static bool alert_allowed(struct presence_monitor *m, usec_t now, const char *body)
{
        prune_sent(m, now);
        if (!is_online(m)) {
                log_notice("presence: offline, alert held back: %s", body);
                m->suppressed++;
                return false;
        }
        if (m->n_sent >= m->cfg->max_per_hour) {
                log_notice("presence: alerts.max_per_hour reached, alert held back: %s", body);
                m->suppressed++;
                return false;
        }
        return true;
}

static const char *status_text(const struct i18n *status)
{
        return strempty(i18n_pick(status, NULL));
}

/* Alerts go to everyone alerts.to admits, as headlines no request asked for: there is no
 * requester's language to follow, so they stay English (like the logs they echo). */
static int alert(struct presence_monitor *m, usec_t now, enum alert_kind kind,
                 enum presence_show was)
{
        _cleanup_free_ char *body = NULL, *full = NULL;
        const char *text = status_text(&m->status), *sep = *text ? " — " : "";
        int r = -EINVAL;

        switch (kind) {
        case ALERT_ENTER:
                r = asprintf(&body, "%s is %s: %s%s%s", m->hostname, presence_show_name(m->show),
                             m->cfg->rules[m->rule].source, sep, text);
                break;
        case ALERT_CHANGE:
                r = asprintf(&body, "%s is %s (was %s): %s%s%s", m->hostname,
                             presence_show_name(m->show), presence_show_name(was),
                             m->cfg->rules[m->rule].source, sep, text);
                break;
        case ALERT_RECOVERY:
                r = asprintf(&body, "%s is back to normal (was %s)%s%s", m->hostname,
                             presence_show_name(was), sep, text);
                break;
        }
        if (r < 0)
                return -ENOMEM;
        if (!alert_allowed(m, now, body))
                return 0;
        if (m->suppressed > 0) {
                if (asprintf(&full, "%s\n(%u earlier alert%s held back)", body, m->suppressed,
                             m->suppressed == 1 ? "" : "s") < 0)
                        return -ENOMEM;
                m->suppressed = 0;
        }
        deliver(m, now, full ? full : body);
        return 0;
}

/* Sends the summary of held-back alerts as soon as one may go out. */
static int flush_suppressed(struct presence_monitor *m, usec_t now)
{
        _cleanup_free_ char *body = NULL;
        const char *text = status_text(&m->status);

        if (m->suppressed == 0 || !m->computed)
                return 0;
        prune_sent(m, now);
        if (!is_online(m) || m->n_sent >= m->cfg->max_per_hour)
                return 0;
        if (asprintf(&body,
                     "%s: %u alert%s held back (alerts.max_per_hour is %u, or offline); now %s%s%s",
                     m->hostname, m->suppressed, m->suppressed == 1 ? "" : "s",
                     m->cfg->max_per_hour, presence_show_name(m->show), *text ? " — " : "",
                     text) < 0)
                return -ENOMEM;
        m->suppressed = 0;
        deliver(m, now, body);
        return 0;
}

static int update_alerts(struct presence_monitor *m, usec_t now)
{
        enum presence_show was = m->alert_show;

        if (!m->cfg->alerts)
                return 0;
        if (m->show == was)
                return flush_suppressed(m, now);
        m->alert_show = m->show;
        if (presence_show_is_normal(m->show) && presence_show_is_normal(was))
                return flush_suppressed(m, now);
        if (presence_show_is_normal(m->show))
                return alert(m, now, ALERT_RECOVERY, was);
        return alert(m, now, presence_show_is_normal(was) ? ALERT_ENTER : ALERT_CHANGE, was);
}

static size_t match_rule(const struct presence_config *cfg, const struct presence_values *v)
{
        for (size_t i = 0; i < cfg->n_rules; i++)
                if (presence_expr_eval(cfg->rules[i].when, presence_values_lookup, (void *)v))
                        return i;
        return SIZE_MAX;
}

static void log_rule(const struct presence_config *cfg, size_t rule)
{
        if (rule == SIZE_MAX)
                log_info("presence: available (no show rule holds)");
        else
                log_info("presence: %s (rule %zu: %s)", presence_show_name(cfg->rules[rule].show),
                         rule + 1, cfg->rules[rule].source);
}

int presence_monitor_step(struct presence_monitor *m, const struct presence_values *v, usec_t now)
{
        struct i18n status;
        size_t rule;
        int r;

        (void)presence_monitor_manual_check(m, now);
        rule = match_rule(m->cfg, v);
        r = presence_status_render_i18n(&m->cfg->status, v, &status);
        if (r < 0)
                return r;
        if (rule != m->rule || !m->computed)
                log_rule(m->cfg, rule);
        i18n_done(&m->status);
        m->status = status;
        m->rule = rule;
        m->show = rule == SIZE_MAX ? PRESENCE_AVAILABLE : m->cfg->rules[rule].show;
        m->computed = true;
        r = publish(m, now, false);
        if (r < 0)
                return r;
        return update_alerts(m, now);
}

void presence_monitor_online(struct presence_monitor *m, usec_t now)
{
        m->published = false;
        if (publish(m, now, true) < 0)
                log_error("presence: out of memory");
        if (m->cfg->alerts && flush_suppressed(m, now) < 0)
                log_error("presence: out of memory");
}

int presence_monitor_set_manual(struct presence_monitor *m, enum presence_show show,
                                const char *text, usec_t until, usec_t now)
{
        struct i18n status = {0};

        if (show >= _PRESENCE_SHOW_MAX)
                return -EINVAL;
        if (!isempty(text) && (strlen(text) > MANUAL_TEXT_MAX || !utf8_is_clean(text, false)))
                return -EINVAL;
        if (!isempty(text) && i18n_set_plain(&status, text) < 0)
                return -ENOMEM;
        i18n_done(&m->manual_status);
        m->manual_status = status;
        m->manual_show = show;
        m->manual_until = until;
        m->manual = true;
        return publish(m, now, true);
}

void presence_monitor_clear_manual(struct presence_monitor *m, usec_t now)
{
        if (!m->manual)
                return;
        m->manual = false;
        i18n_done(&m->manual_status);
        if (publish(m, now, true) < 0)
                log_error("presence: out of memory");
}

usec_t presence_monitor_manual_check(struct presence_monitor *m, usec_t now)
{
        if (!m->manual)
                return USEC_INFINITY;
        if (m->manual_until != USEC_INFINITY && now >= m->manual_until) {
                log_info("presence: manual status expired");
                presence_monitor_clear_manual(m, now);
                return USEC_INFINITY;
        }
        return m->manual_until;
}

/* Why the show is what it is, in lang: " (manual, 25 min left)", " (rule 1: load1 > 4)" or "". */
static int describe_origin(const struct presence_monitor *m, usec_t now, const char *lang,
                           char **ret)
{
        _cleanup_free_ char *why = NULL;
        int k;

        if (m->manual && m->manual_until == USEC_INFINITY) {
                k = asprintf(&why, "%s", l10n(lang, "manual, until cleared"));
        } else if (m->manual) {
                usec_t left = m->manual_until > now ? m->manual_until - now : 0;

                if (left < 60 * USEC_PER_SEC)
                        k = asprintf(
                            &why, l10n(lang, "manual, %llus left"),
                            (unsigned long long)((left + USEC_PER_SEC - 1) / USEC_PER_SEC));
                else
                        k = asprintf(&why, l10n(lang, "manual, %llu min left"),
                                     (unsigned long long)((left + 60 * USEC_PER_SEC - 1) /
                                                          (60 * USEC_PER_SEC)));
        } else if (m->rule != SIZE_MAX) {
                k = asprintf(&why, l10n(lang, "rule %zu: %s"), m->rule + 1,
                             m->cfg->rules[m->rule].source);
        } else {
                return asprintf(ret, "%s", "");
        }
        if (k < 0)
                return k;
        return asprintf(ret, " (%s)", why);
}

int presence_monitor_describe(const struct presence_monitor *m, usec_t now, const char *lang,
                              char **ret)
{
        _cleanup_free_ char *origin = NULL;
        const char *text;
        char *s;

        if (!m->published) {
                s = strdup(is_online(m) ? l10n(lang, "nothing published yet")
                                        : l10n(lang, "offline: nothing published"));
                if (!s)
                        return -ENOMEM;
                *ret = s;
                return 0;
        }
        text = status_text(&m->pub_status);
        if (describe_origin(m, now, lang, &origin) < 0)
                return -ENOMEM;
        if ((*text ? asprintf(&s, l10n(lang, "%s: %s%s"), presence_show_name(m->pub_show), text,
                              origin)
                   : asprintf(&s, "%s%s", presence_show_name(m->pub_show), origin)) < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}
