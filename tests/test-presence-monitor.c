/* SPDX-License-Identifier: MIT */
/*
 * The presence state machine, driven with explicit timestamps and a fake host that records
 * what would go to XMPP: publication rules, alerts, their hourly limit, recovery, manual
 * status and reconnection.
 */
#include <stdio.h>

#include "presence/presence-internal.h"
#include "tests.h"

#define SEC    USEC_PER_SEC
#define MINUTE (60 * SEC)
#define HOUR   (60 * MINUTE)

struct message {
        char *to, *type, *body;
};

struct fake_host {
        bool online;
        unsigned n_published;
        char *show;         /* last published; NULL: available */
        struct i18n status; /* last published */
        struct message msgs[64];
        unsigned n_msgs;
        unsigned n_resolved;
};

static struct fake_host fake;

static void fake_publish(void *agent, const char *show, const struct i18n *status)
{
        CHECK(agent == &fake);
        fake.n_published++;
        free(fake.show);
        fake.show = strdup_or_null(show);
        i18n_done(&fake.status);
        CHECK_INT(presence_i18n_copy(status, &fake.status), 0);
}

static void fake_send(void *agent, const char *to, const char *type, const char *lang,
                      const char *body)
{
        if (fake.n_msgs >= ELEMENTSOF(fake.msgs))
                return;
        fake.msgs[fake.n_msgs++] = (struct message){strdup(to), strdup(type), strdup(body)};
}

/* The roster: group "admins" holds alice and bob; explicit jids are included as they are. */
static int fake_resolve(void *agent, const struct access *a, char ***ret)
{
        char **l = NULL;

        fake.n_resolved++;
        if (strv_contains(a->groups, "admins")) {
                CHECK_INT(strv_extend(&l, "alice@example.org"), 0);
                CHECK_INT(strv_extend(&l, "bob@example.org"), 0);
        }
        STRV_FOREACH (j, a->jids)
                CHECK_INT(strv_extend(&l, *j), 0);
        *ret = l;
        return 0;
}

static bool fake_is_online(void *agent)
{
        return fake.online;
}

static const struct feature_host host = {
    .agent = &fake,
    .publish_presence = fake_publish,
    .send_message = fake_send,
    .resolve_access = fake_resolve,
    .is_online = fake_is_online,
};

static void fake_reset_messages(void)
{
        for (unsigned i = 0; i < fake.n_msgs; i++) {
                free(fake.msgs[i].to);
                free(fake.msgs[i].type);
                free(fake.msgs[i].body);
        }
        fake.n_msgs = 0;
}

static const char *config_yaml =
    "presence:\n"
    "  interval: 10s\n"
    "  min_update: 60s\n"
    "  status: {en: \"load {load1} · / {disk_used_pct:/}%\",\n"
    "           fr: \"charge {load1} · / {disk_used_pct:/} %\"}\n"
    "  probes: {builtin: [load, \"disk:/\"]}\n"
    "  show:\n"
    "    - {when: \"disk_used_pct:/ >= 95\", show: dnd}\n"
    "    - {when: \"load1 >= 4\", show: away}\n"
    "  alerts: {to: {groups: [admins], jids: [carol@example.org]}, max_per_hour: 3}\n";

/* The policies the configurations belong to (alerts.to is resolved when the policy loads). */
static struct policy *policies[4];
static size_t n_policies;

static struct presence_config *load_config(const char *presence_yaml)
{
        _cleanup_free_ char *yaml = NULL;
        struct policy *p = NULL;
        struct ynode *root = NULL;
        struct diags d = {0};

        CHECK(asprintf(&yaml, "account: {jid: agent@example.org, password_file: pw}\n%s",
                       presence_yaml) > 0);
        CHECK(n_policies < ELEMENTSOF(policies));
        if (!yaml || n_policies >= ELEMENTSOF(policies))
                return NULL;
        CHECK_INT(ynode_parse(yaml, strlen(yaml), "monitor.yaml", &root, &d), 0);
        CHECK_INT(policy_from_ynodes((const struct ynode *const *)&root, 1, &p, &d), 0);
        if (d.n)
                diags_print(&d, stderr);
        ynode_free(root);
        diags_done(&d);
        if (!p)
                return NULL;
        policies[n_policies++] = p;
        CHECK_INT(p->n_features, 1);
        return p->n_features == 1 ? p->features[0].cfg : NULL;
}

static struct presence_values vals;

static void set_values(const char *load1, const char *disk)
{
        CHECK_INT(presence_values_set(&vals, "load1", load1), 0);
        CHECK_INT(presence_values_set(&vals, "disk_used_pct:/", disk), 0);
}

static void step(struct presence_monitor *m, usec_t now)
{
        CHECK_INT(presence_monitor_step(m, &vals, now), 0);
}

static unsigned count_to(const char *to)
{
        unsigned n = 0;

        for (unsigned i = 0; i < fake.n_msgs; i++)
                n += streq(fake.msgs[i].to, to);
        return n;
}

static bool last_alert_has(const char *part)
{
        return fake.n_msgs > 0 && strstr(fake.msgs[fake.n_msgs - 1].body, part);
}

static void check_alert_round(const char *part)
{
        /* One headline to each resolved JID: the group's members and the explicit one. */
        CHECK_INT(fake.n_msgs, 3);
        CHECK_INT(count_to("alice@example.org"), 1);
        CHECK_INT(count_to("bob@example.org"), 1);
        CHECK_INT(count_to("carol@example.org"), 1);
        for (unsigned i = 0; i < fake.n_msgs; i++) {
                CHECK_STREQ(fake.msgs[i].type, "headline");
                CHECK(strstr(fake.msgs[i].body, part) != NULL);
                if (!strstr(fake.msgs[i].body, part))
                        fprintf(stderr, "alert '%s' lacks '%s'\n", fake.msgs[i].body, part);
        }
        fake_reset_messages();
}

static void test_publish_rules(const struct presence_config *c)
{
        struct presence_monitor *m = NULL;
        usec_t t = 1000 * SEC;

        fake.online = true;
        fake.n_published = 0;
        CHECK_INT(presence_monitor_new(c, &host, "web1", &m), 0);

        /* First results: published at once, one status per language. */
        set_values("0.50", "40");
        step(m, t);
        CHECK_INT(fake.n_published, 1);
        CHECK(fake.show == NULL);
        CHECK_INT(fake.status.n, 2);
        if (fake.status.n == 2) {
                CHECK_STREQ(fake.status.v[0].lang, "en");
                CHECK_STREQ(fake.status.v[0].text, "load 0.50 · / 40%");
                CHECK_STREQ(fake.status.v[1].lang, "fr");
                CHECK_STREQ(fake.status.v[1].text, "charge 0.50 · / 40 %");
        }

        /* Nothing changed: nothing sent, however long it has been. */
        step(m, t + 10 * SEC);
        step(m, t + 5 * MINUTE);
        step(m, t + 2 * HOUR);
        CHECK_INT(fake.n_published, 1);

        /* The text changes: held back until min_update has passed since the last one. */
        t += 2 * HOUR;
        set_values("0.60", "40");
        step(m, t); /* 2 h after the last publication: goes at once */
        CHECK_INT(fake.n_published, 2);
        set_values("0.70", "40");
        step(m, t + 10 * SEC);
        step(m, t + 59 * SEC);
        CHECK_INT(fake.n_published, 2);
        CHECK_STREQ(fake.status.v[0].text, "load 0.60 · / 40%");
        step(m, t + 60 * SEC);
        CHECK_INT(fake.n_published, 3);
        CHECK_STREQ(fake.status.v[0].text, "load 0.70 · / 40%");

        /* A change that reverts before min_update is never sent. */
        set_values("0.80", "40");
        step(m, t + 70 * SEC);
        set_values("0.70", "40");
        step(m, t + 80 * SEC);
        step(m, t + 10 * MINUTE);
        CHECK_INT(fake.n_published, 3);

        /* A show change goes at once, min_update or not. */
        t += 10 * MINUTE;
        set_values("5.00", "40");
        step(m, t);
        CHECK_INT(fake.n_published, 4);
        CHECK_STREQ(fake.show, "away");
        set_values("5.00", "97"); /* both rules hold: the first wins */
        step(m, t + 1 * SEC);
        CHECK_INT(fake.n_published, 5);
        CHECK_STREQ(fake.show, "dnd");
        set_values("0.10", "40");
        step(m, t + 2 * SEC);
        CHECK_INT(fake.n_published, 6);
        CHECK(fake.show == NULL);

        /* A failed probe shows '?' and makes no rule hold. */
        set_values(NULL, NULL);
        step(m, t + 2 * HOUR);
        CHECK_INT(fake.n_published, 7);
        CHECK(fake.show == NULL);
        CHECK_STREQ(fake.status.v[0].text, "load ? · / ?%");

        presence_monitor_free(m);
        fake_reset_messages();
}

static void test_alerts(const struct presence_config *c)
{
        struct presence_monitor *m = NULL;
        usec_t t = 5000 * SEC;

        fake.online = true;
        CHECK_INT(presence_monitor_new(c, &host, "web1", &m), 0);

        /* Normal at start: no alert. */
        set_values("0.50", "40");
        step(m, t);
        CHECK_INT(fake.n_msgs, 0);

        /* Entering a rule alerts every resolved JID, once. */
        set_values("0.50", "96");
        step(m, t + 10 * SEC);
        check_alert_round("web1 is dnd: disk_used_pct:/ >= 95 — load 0.50 · / 96%");
        step(m, t + 20 * SEC);
        CHECK_INT(fake.n_msgs, 0);

        /* From one abnormal state to another. */
        set_values("6.00", "60");
        step(m, t + 30 * SEC);
        check_alert_round("web1 is away (was dnd): load1 >= 4");

        /* Recovery. */
        set_values("0.50", "60");
        step(m, t + 40 * SEC);
        check_alert_round("web1 is back to normal (was away) — load 0.50 · / 60%");

        /* Three alerts went out within the hour (max_per_hour: 3): the next are held back. */
        set_values("0.50", "99");
        step(m, t + 50 * SEC);
        CHECK_INT(fake.n_msgs, 0);
        set_values("0.50", "60");
        step(m, t + 60 * SEC);
        set_values("0.50", "99");
        step(m, t + 70 * SEC);
        CHECK_INT(fake.n_msgs, 0);
        /* Still within the hour of the first alert. */
        step(m, t + 10 * SEC + HOUR - 1);
        CHECK_INT(fake.n_msgs, 0);
        /* The first one leaves the window: a summary of the three held back, with the state. */
        step(m, t + 10 * SEC + HOUR);
        check_alert_round("web1: 3 alerts held back (alerts.max_per_hour is 3, or offline); now "
                          "dnd — load 0.50 · / 99%");
        step(m, t + 10 * SEC + HOUR + 5 * SEC);
        CHECK_INT(fake.n_msgs, 0);

        /* A later alert that may go out carries the count of those held back before it. */
        t += 3 * HOUR;
        set_values("0.50", "60");
        step(m, t);
        check_alert_round("back to normal");
        set_values("0.50", "99");
        step(m, t + 1 * SEC);
        check_alert_round("is dnd");
        set_values("0.50", "60");
        step(m, t + 2 * SEC);
        check_alert_round("back to normal");
        set_values("0.50", "99");
        step(m, t + 3 * SEC); /* 4th within the hour (the summary was 2 h ago): held back */
        CHECK_INT(fake.n_msgs, 0);
        set_values("9.00", "60");
        step(m, t + HOUR); /* the first of the three has left the window */
        CHECK(last_alert_has("\n(1 earlier alert held back)"));
        check_alert_round("web1 is away (was dnd): load1 >= 4");

        presence_monitor_free(m);
        fake_reset_messages();
}

static void test_offline(const struct presence_config *c)
{
        struct presence_monitor *m = NULL;
        usec_t t = 100 * SEC;
        char *s = NULL;

        fake.online = false;
        fake.n_published = 0;
        CHECK_INT(presence_monitor_new(c, &host, "web1", &m), 0);
        set_values("0.50", "99");
        step(m, t);
        CHECK_INT(fake.n_published, 0);
        /* The alert could not go: held back, summed up once online. */
        CHECK_INT(fake.n_msgs, 0);
        CHECK_INT(presence_monitor_describe(m, t, NULL, &s), 0);
        CHECK_STREQ(s, "offline: nothing published");
        free(s);

        /* Online: the current state at once, whatever min_update says, and the summary. */
        fake.online = true;
        presence_monitor_online(m, t + 1 * SEC);
        CHECK_INT(fake.n_published, 1);
        CHECK_STREQ(fake.show, "dnd");
        check_alert_round("1 alert held back");

        /* A reconnection publishes again even though nothing changed. */
        presence_monitor_online(m, t + 2 * SEC);
        CHECK_INT(fake.n_published, 2);
        step(m, t + 3 * SEC);
        CHECK_INT(fake.n_published, 2);
        presence_monitor_free(m);
        fake_reset_messages();
}

static void test_manual(const struct presence_config *c)
{
        struct presence_monitor *m = NULL;
        usec_t t = 100 * SEC;
        char *s = NULL;

        fake.online = true;
        fake.n_published = 0;
        CHECK_INT(presence_monitor_new(c, &host, "web1", &m), 0);
        CHECK_INT(presence_monitor_describe(m, t, NULL, &s), 0);
        CHECK_STREQ(s, "nothing published yet");
        free(s);
        CHECK_INT(presence_monitor_describe(m, t, "fr", &s), 0);
        CHECK_STREQ(s, "rien de publié pour l'instant");
        free(s);

        set_values("0.50", "40");
        step(m, t);
        CHECK_INT(fake.n_published, 1);
        CHECK_INT(presence_monitor_describe(m, t, NULL, &s), 0);
        CHECK_STREQ(s, "available: load 0.50 · / 40%");
        free(s);

        /* A manual status goes out at once and stays while probes change. */
        CHECK_INT(presence_monitor_set_manual(m, PRESENCE_XA, "maintenance until 14:00",
                                              t + 30 * MINUTE, t + 1 * SEC),
                  0);
        CHECK_INT(fake.n_published, 2);
        CHECK_STREQ(fake.show, "xa");
        CHECK_INT(fake.status.n, 1);
        CHECK(fake.status.v[0].lang == NULL);
        CHECK_STREQ(fake.status.v[0].text, "maintenance until 14:00");
        CHECK_INT(presence_monitor_describe(m, t + 1 * SEC, NULL, &s), 0);
        CHECK_STREQ(s, "xa: maintenance until 14:00 (manual, 30 min left)");
        free(s);
        /* The agent's words in the requester's language; the show and the text as published. */
        CHECK_INT(presence_monitor_describe(m, t + 1 * SEC, "fr", &s), 0);
        CHECK_STREQ(s, "xa : maintenance until 14:00 (manuel, encore 30 min)");
        free(s);
        set_values("8.00", "40");
        step(m, t + 2 * MINUTE);
        CHECK_INT(fake.n_published, 2);
        /* ...while alerts keep following the machine. */
        check_alert_round("web1 is away");

        /* Expiry: back to the computed state at once. */
        CHECK(presence_monitor_manual_check(m, t + 29 * MINUTE) == t + 30 * MINUTE);
        CHECK_INT(fake.n_published, 2);
        CHECK(presence_monitor_manual_check(m, t + 30 * MINUTE) == USEC_INFINITY);
        CHECK_INT(fake.n_published, 3);
        CHECK_STREQ(fake.show, "away");
        CHECK_STREQ(fake.status.v[0].text, "load 8.00 · / 40%");
        CHECK_INT(presence_monitor_describe(m, t + 30 * MINUTE, NULL, &s), 0);
        CHECK_STREQ(s, "away: load 8.00 · / 40% (rule 2: load1 >= 4)");
        free(s);
        CHECK_INT(presence_monitor_describe(m, t + 30 * MINUTE, "fr-FR", &s), 0);
        CHECK_STREQ(s, "away : load 8.00 · / 40% (règle 2 : load1 >= 4)");
        free(s);

        /* Until cleared, without text; clearing publishes the computed state. */
        CHECK_INT(presence_monitor_set_manual(m, PRESENCE_DND, NULL, USEC_INFINITY, t + HOUR), 0);
        CHECK_INT(fake.n_published, 4);
        CHECK_STREQ(fake.show, "dnd");
        CHECK_INT(fake.status.n, 0);
        CHECK(presence_monitor_manual_check(m, t + 100 * HOUR) == USEC_INFINITY);
        CHECK_INT(presence_monitor_describe(m, t + HOUR, NULL, &s), 0);
        CHECK_STREQ(s, "dnd (manual, until cleared)");
        free(s);
        CHECK_INT(presence_monitor_describe(m, t + HOUR, "fr", &s), 0);
        CHECK_STREQ(s, "dnd (manuel, jusqu'à effacement)");
        free(s);
        presence_monitor_clear_manual(m, t + 101 * HOUR);
        CHECK_INT(fake.n_published, 5);
        CHECK_STREQ(fake.show, "away");

        /* Bad input changes nothing. */
        CHECK_INT(presence_monitor_set_manual(m, PRESENCE_AWAY, "two\nlines", USEC_INFINITY, t),
                  -EINVAL);
        CHECK_INT(presence_monitor_set_manual(m, _PRESENCE_SHOW_MAX, NULL, USEC_INFINITY, t),
                  -EINVAL);
        CHECK_INT(fake.n_published, 5);
        presence_monitor_free(m);
        fake_reset_messages();
}

static void test_publish_is_due(void)
{
        struct i18n a = {0}, b = {0};
        struct presence_published last = {
            .valid = true, .show = PRESENCE_AVAILABLE, .status = &a, .time = 100 * SEC};

        CHECK_INT(i18n_set_plain(&a, "x"), 0);
        CHECK_INT(i18n_set_plain(&b, "y"), 0);
        CHECK(!presence_publish_is_due(&last, PRESENCE_AVAILABLE, &a, 1000 * SEC, 60 * SEC));
        CHECK(!presence_publish_is_due(&last, PRESENCE_AVAILABLE, &b, 159 * SEC, 60 * SEC));
        CHECK(presence_publish_is_due(&last, PRESENCE_AVAILABLE, &b, 160 * SEC, 60 * SEC));
        CHECK(presence_publish_is_due(&last, PRESENCE_DND, &a, 101 * SEC, 60 * SEC));
        CHECK(presence_publish_is_due(&last, PRESENCE_AVAILABLE, &b, 100 * SEC, 0));
        /* A clock that went backwards does not count as time passed. */
        CHECK(!presence_publish_is_due(&last, PRESENCE_AVAILABLE, &b, 10 * SEC, 60 * SEC));
        last.valid = false;
        CHECK(presence_publish_is_due(&last, PRESENCE_AVAILABLE, &a, 101 * SEC, 60 * SEC));
        i18n_done(&a);
        i18n_done(&b);
}

static void test_no_alerts_configured(void)
{
        struct presence_config *c = load_config("presence:\n"
                                                "  probes: {builtin: [load]}\n"
                                                "  show: [{when: load1 > 1, show: chat}]\n");
        struct presence_monitor *m = NULL;

        if (!c)
                return;
        fake.online = true;
        fake.n_published = 0;
        fake.n_resolved = 0;
        CHECK_INT(presence_monitor_new(c, &host, "web1", &m), 0);
        CHECK_INT(presence_values_set(&vals, "load1", "2"), 0);
        step(m, 0);
        CHECK_STREQ(fake.show, "chat");
        /* The default status, from the probes. */
        CHECK_STREQ(fake.status.v[0].text, "load 2");
        CHECK_INT(fake.n_msgs, 0);
        CHECK_INT(fake.n_resolved, 0);
        presence_monitor_free(m);
}

int main(void)
{
        struct presence_config *c = load_config(config_yaml);

        if (!c)
                return 1;
        test_publish_is_due();
        test_publish_rules(c);
        test_alerts(c);
        test_offline(c);
        test_manual(c);
        test_no_alerts_configured();

        for (size_t i = 0; i < n_policies; i++)
                policy_free(policies[i]);
        presence_values_done(&vals);
        fake_reset_messages();
        free(fake.show);
        i18n_done(&fake.status);
        return TESTS_RESULT();
}
