/* SPDX-License-Identifier: MIT */
/* The presence: section: defaults, the example of the documentation, and errors with positions. */
#include <stdio.h>

#include "presence/presence-internal.h"
#include "policy-helpers.h"

static struct diags diags;

/* Parses the presence: section of yaml; returns the config or NULL, diagnostics in diags. */
static struct presence_config *parse(const char *yaml)
{
        const struct feature_ops *ops = feature_ops_lookup("presence");
        struct ynode *root = NULL;
        void *cfg = NULL;
        int r;

        diags_done(&diags);
        CHECK(ops == &presence_feature);
        r = ynode_parse(yaml, strlen(yaml), "adhocd.yaml", &root, &diags);
        CHECK_INT(r, 0);
        if (r < 0)
                return NULL;
        r = ops->parse(ynode_get(root, "presence"), &cfg, &diags);
        CHECK(r >= 0 ? cfg != NULL : cfg == NULL);
        ynode_free(root);
        return cfg;
}

static bool has_diag(enum diag_level level, unsigned line, unsigned col, const char *part)
{
        return tests_has_diag(&diags, level, NULL, line, col, part);
}

static void check_error(const char *yaml, unsigned line, unsigned col, const char *part)
{
        struct presence_config *c = parse(yaml);

        CHECK(c == NULL);
        CHECK(has_diag(DIAG_ERROR, line, col, part));
        presence_config_free(c);
}

static void test_defaults(void)
{
        struct presence_config *c = parse("presence: {}\n");

        CHECK(c != NULL);
        if (!c)
                return;
        CHECK(c->interval == 30 * USEC_PER_SEC);
        CHECK(c->min_update == 60 * USEC_PER_SEC);
        CHECK_INT(c->n_probes, 3);
        CHECK_STREQ(c->probes[0].label, "load");
        CHECK_STREQ(c->probes[1].label, "memory");
        CHECK_STREQ(c->probes[2].label, "uptime");
        CHECK_INT(c->status.n, 1);
        CHECK_STREQ(c->status.v[0].text, "load {load1} · mem {mem_used_pct}% · up {uptime}");
        CHECK_STREQ(c->root, "/");
        CHECK(!c->alerts && !c->script_argv && c->n_rules == 0);
        CHECK(presence_control_access(c) == NULL);
        CHECK_INT(diags.n, 0);
        presence_config_free(c);
}

static void test_example(void)
{
        /* The configuration of the documentation (issue 7), plus control and root. */
        struct presence_config *c = parse(
            "presence:\n"
            "  interval: 30s\n"
            "  min_update: 60s\n"
            "  status: \"load {load1} · mem {mem_used_pct}% · / {disk_used_pct:/}% · up "
            "{uptime}\"\n"
            "  probes:\n"
            "    builtin: [load, memory, disk:/, disk:/home, uptime, failed_units]\n"
            "    script: {argv: [/usr/local/bin/health, --short], timeout: 5s}\n"
            "  show:\n"
            "    - {when: \"disk_used_pct:/ >= 95 or failed_units > 0\", show: dnd}\n"
            "    - {when: \"load1 >= 4\", show: away}\n"
            "    - {when: \"RAID_DEGRADED == 1\", show: xa}\n"
            "  alerts:\n"
            "    to: {groups: [admins]}\n"
            "    on: show-change\n"
            "    max_per_hour: 6\n"
            "  control: {groups: [admins], jids: [alice@example.org, \"*@ops.example.org\"]}\n"
            "  root: /srv/fake\n");

        CHECK(c != NULL);
        if (!c)
                return;
        CHECK_INT(diags.n, 0);
        CHECK_INT(c->n_probes, 6);
        CHECK_INT(c->probes[2].kind, PRESENCE_PROBE_DISK);
        CHECK_STREQ(c->probes[2].path, "/");
        CHECK_STREQ(c->probes[3].path, "/home");
        CHECK_INT(c->probes[5].kind, PRESENCE_PROBE_FAILED_UNITS);
        CHECK_STREQ(c->script_argv[0], "/usr/local/bin/health");
        CHECK_STREQ(c->script_argv[1], "--short");
        CHECK(c->script_timeout == 5 * USEC_PER_SEC);
        CHECK_INT(c->n_rules, 3);
        CHECK_INT(c->rules[0].show, PRESENCE_DND);
        CHECK_STREQ(c->rules[0].source, "disk_used_pct:/ >= 95 or failed_units > 0");
        CHECK_INT(c->rules[1].show, PRESENCE_AWAY);
        CHECK_INT(c->rules[2].show, PRESENCE_XA);
        CHECK(c->alerts);
        CHECK_INT(c->max_per_hour, 6);
        /* Who gets alerts and who controls: resolved by link() (test-presence-link). */
        CHECK(c->has_control);
        CHECK(presence_control_access(c) == &c->control);
        CHECK_STREQ(c->root, "/srv/fake");

        CHECK(presence_config_provides(c, "load15"));
        CHECK(presence_config_provides(c, "disk_free_gb:/home"));
        CHECK(!presence_config_provides(c, "disk_used_pct:/var"));
        CHECK(presence_config_provides(c, "RAID_DEGRADED")); /* may come from the script */
        presence_config_free(c);

        /* A map of languages; the default status follows the probes. */
        c = parse("presence:\n"
                  "  status: {en: \"up {uptime}\", fr: \"en service depuis {uptime}\"}\n"
                  "  probes: {builtin: [uptime]}\n");
        CHECK(c && c->status.n == 2);
        presence_config_free(c);
        c = parse("presence:\n  probes: {builtin: [\"disk:/var/lib\", failed_units]}\n");
        CHECK(c && c->status.n == 1);
        if (c && c->status.n == 1)
                CHECK_STREQ(c->status.v[0].text,
                            "/var/lib {disk_used_pct:/var/lib}% · failed units {failed_units}");
        presence_config_free(c);
}

static void test_errors(void)
{
        check_error("presence:\n  intreval: 10s\n", 2, 3, "unknown key 'intreval'");
        check_error("presence: [a]\n", 1, 11, "expected a map");
        check_error("presence:\n  interval: 0s\n", 2, 13,
                    "interval: must be between 1s and 24h, not '0s'");
        check_error("presence:\n  min_update: soon\n", 2, 15, "");
        check_error("presence:\n  root: proc\n", 2, 9, "absolute path");
        check_error("presence:\n  probes: {builtin: [load, cpu]}\n", 2, 28, "unknown probe 'cpu'");
        check_error("presence:\n  probes: {builtin: [load, load]}\n", 2, 28, "listed twice");
        check_error("presence:\n  probes: {builtin: [\"disk:home\"]}\n", 2, 22, "absolute path");
        check_error("presence:\n  probes: {builtin: [\"disk:/a b\"]}\n", 2, 22,
                    "may not hold spaces");
        check_error("presence:\n  probes: {script: {argv: [health]}}\n", 2, 27,
                    "argv[0] must be an absolute path");
        check_error("presence:\n  probes: {script: {timeout: 5s}}\n", 2, 20, "needs argv");
        check_error("presence:\n  probes: {script: {argv: [/x], timeout: 20m}}\n", 2, 42,
                    "between 100ms and 10m");

        /* Status templates: syntax and names, at the column of the problem. */
        check_error("presence:\n  status: \"load {load1\"\n", 2, 17, "unbalanced '{'");
        check_error("presence:\n  status: \"load {load1} / {disk_used_pct:/}%\"\n", 2, 27,
                    "value 'disk_used_pct:/' needs the probe 'disk:/' in presence.probes.builtin");
        check_error(
            "presence:\n  probes: {builtin: [load]}\n  status: {en: \"mem {mem_used_pct}\"}\n", 3,
            21, "needs the probe 'memory'");
        check_error("presence:\n  status: \"{TEMP}\"\n", 2, 12,
                    "unknown value 'TEMP' (no probe provides it; a probes.script may)");

        /* Rules. */
        check_error("presence:\n  show:\n    - {when: \"load1 >= 4 and\", show: away}\n", 3, 29,
                    "expression ends too early");
        check_error("presence:\n  show:\n    - when: load1 => 4\n      show: away\n", 3, 19,
                    "'=' is not an operator");
        check_error("presence:\n  show:\n    - {when: \"failed_units > 0\", show: dnd}\n", 3, 15,
                    "needs the probe 'failed_units'");
        check_error("presence:\n  show:\n    - {when: \"load1 > 4\", show: busy}\n", 3, 33,
                    "show must be away, xa, dnd, chat or available");
        check_error("presence:\n  show:\n    - {when: \"load1 > 4\"}\n", 3, 7,
                    "needs when: and show:");
        check_error("presence:\n  show:\n    - {when: \"load1 > 4\", show: dnd, alert: yes}\n", 3,
                    38, "unknown key 'alert'");
        /* With a script, unknown plain names may come from it, but not disk names. */
        check_error("presence:\n  probes: {script: {argv: [/x]}}\n"
                    "  show: [{when: \"disk_used_pct:/srv > 90\", show: dnd}]\n",
                    3, 18, "needs the probe 'disk:/srv'");

        /* Alerts and control. */
        check_error("presence:\n  alerts: {on: show-change}\n", 2, 11,
                    "alerts need to: (an access-list name or {groups");
        check_error("presence:\n  alerts: {to: {groups: [a]}, on: always}\n", 2, 35,
                    "alerts.on must be show-change");
        check_error("presence:\n  alerts: {to: {groups: [a]}, max_per_hour: 0}\n", 2, 45, "");
        check_error("presence:\n  alerts: {to: }\n", 2, 16,
                    "alerts.to needs an access-list name or {groups: [...], jids: [...]}");
        check_error("presence:\n  control:\n", 2, 11,
                    "control needs an access-list name or {groups: [...], jids: [...]}");
        /* The contents of a spec are the policy's to check, in link(): see test-presence-link. */
}

static void test_warnings(void)
{
        struct presence_config *c;

        c = parse("presence:\n  interval: 5s\n  probes: {script: {argv: [/x], timeout: 10s}}\n");
        CHECK(c != NULL);
        CHECK(has_diag(DIAG_WARNING, 3, 20, "timeout should be shorter than the interval"));
        presence_config_free(c);
        c = parse("presence:\n  alerts: {to: {jids: [a@example.org]}}\n");
        CHECK(c != NULL);
        CHECK(has_diag(DIAG_WARNING, 2, 11, "no show rule"));
        presence_config_free(c);
        c = parse("presence:\n  control: {}\n");
        CHECK(c != NULL);
        CHECK(has_diag(DIAG_WARNING, 2, 12, "admits nobody"));
        presence_config_free(c);
        /* A name or a map: the shape is all parse() checks. */
        c = parse("presence:\n  alerts: {to: admins}\n  control: [admins, ops]\n"
                  "  show: [{when: load1 > 4, show: dnd}]\n");
        CHECK(c && c->alerts && c->has_control);
        CHECK_INT(diags.n, 0);
        presence_config_free(c);
}

static void test_show_names(void)
{
        enum presence_show s;

        CHECK_INT(presence_show_from_string(NULL, &s), 0);
        CHECK_INT(s, PRESENCE_AVAILABLE);
        CHECK_INT(presence_show_from_string("", &s), 0);
        CHECK_INT(presence_show_from_string("available", &s), 0);
        CHECK_INT(s, PRESENCE_AVAILABLE);
        CHECK_INT(presence_show_from_string("xa", &s), 0);
        CHECK_INT(s, PRESENCE_XA);
        CHECK_INT(presence_show_from_string("DND", &s), -EINVAL);
        CHECK(presence_show_xmpp(PRESENCE_AVAILABLE) == NULL);
        CHECK_STREQ(presence_show_xmpp(PRESENCE_CHAT), "chat");
        CHECK(presence_show_is_normal(PRESENCE_CHAT) && !presence_show_is_normal(PRESENCE_AWAY));
}

int main(void)
{
        test_defaults();
        test_example();
        test_errors();
        test_warnings();
        test_show_names();
        diags_done(&diags);
        return TESTS_RESULT();
}
