/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy.h"
#include "policy-helpers.h"

static struct diags d;

static bool has_diag(enum diag_level level, const char *file, unsigned line, unsigned col,
                     const char *msg)
{
        return tests_has_diag(&d, level, file, line, col, msg);
}
#define ERROR_AT(line, col, msg)   CHECK(has_diag(DIAG_ERROR, "main.yaml", line, col, msg))
#define WARNING_AT(line, col, msg) CHECK(has_diag(DIAG_WARNING, "main.yaml", line, col, msg))

/* Expects the policy to fail; returns nothing, diagnostics stay in d. */
static void fails(const char *main_yaml, const char *inc_yaml)
{
        struct policy *p = NULL;

        CHECK_INT(tests_policy_from_yaml(main_yaml, inc_yaml, &p, &d), -EINVAL);
        CHECK(p == NULL);
        CHECK(d.n_errors > 0);
}

static struct policy *ok(const char *main_yaml, const char *inc_yaml)
{
        struct policy *p = NULL;

        CHECK_INT(tests_policy_from_yaml(main_yaml, inc_yaml, &p, &d), 0);
        if (!p)
                diags_print(&d, stderr);
        CHECK_INT(d.n_errors, 0);
        return p;
}

#define ACCOUNT "account: {jid: bot@example.org, password_file: pw}\n"

static const char full[] =
    "account:\n"
    "  jid: bot@example.org/adhocd\n"
    "  password_file: secret\n"
    "  host: xmpp.example.org\n"
    "  port: 5223\n"
    "  tls: direct\n"
    "  ca_file: /etc/ssl/ca.pem\n"
    "  priority: -5\n"
    "include: [conf.d/*.yaml]\n"
    "access:\n"
    "  remote_domains: [Partner.Example, ops.example.org]\n"
    "  admins: {groups: [Admins], jids: [alice@example.org, '*@ops.example.org']}\n"
    "  partners: {jids: [bob@partner.example]}\n"
    "sessions: {idle_timeout: 5m, max_per_requester: 2, max_total: 50, rate_per_minute: 10}\n"
    "subscriptions:\n"
    "  accept: [alice@example.org, '*@ops.example.org', partner.example]\n"
    "commands:\n"
    "  - node: restart\n"
    "    name: {en: Restart, fr: Redémarrer}\n"
    "    allow: admins\n"
    "    deny: {jids: [eve@example.org], groups: [Interns]}\n"
    "    form:\n"
    "      title: Restart a service\n"
    "      fields:\n"
    "        - {var: unit, type: list-single, options: [web, db], default: web}\n"
    "        - {var: why, label: {en: Reason, fr: Raison}, required: true}\n"
    "    confirm: {en: 'Restart {unit}?', fr: 'Redémarrer {unit} ?'}\n"
    "    reply: 'Restarted {unit} for {from_bare}.'\n"
    "  - node: status/all\n"
    "    name: Status\n"
    "    allow: {access: [admins, partners], groups: [Viewers], jids: ['*@example.org']}\n"
    "    reply: {note: OK, echo: true}\n"
    "  - node: nobody\n"
    "    name: Nobody\n"
    "    reply: never\n";

static void test_full(void)
{
        struct policy *p = ok(full, NULL);
        const struct command *c;

        if (!p)
                return;
        CHECK_STREQ(p->file, "main.yaml");
        CHECK_STREQ(p->account.jid, "bot@example.org/adhocd");
        CHECK_STREQ(p->account.password_file, "secret");
        CHECK(p->account.password == NULL);
        CHECK_STREQ(p->account.host, "xmpp.example.org");
        CHECK_INT(p->account.port, 5223);
        CHECK_INT(p->account.tls, TLS_DIRECT);
        CHECK_STREQ(p->account.ca_file, "/etc/ssl/ca.pem");
        CHECK_INT(p->account.priority, -5);
        CHECK_INT(p->sessions.idle_timeout, 300 * USEC_PER_SEC);
        CHECK_INT(p->sessions.max_per_requester, 2);
        CHECK_INT(p->sessions.max_total, 50);
        CHECK_INT(p->sessions.rate_per_minute, 10);
        CHECK(strv_length(p->remote_domains) == 2 &&
              streq(p->remote_domains[0], "partner.example"));
        CHECK_INT(strv_length(p->subscriptions_accept), 3);
        CHECK_INT(p->n_access_lists, 2);
        CHECK_INT(p->n_commands, 3);
        /* Only the command without allow warns. */
        CHECK_INT(d.n, 1);
        CHECK(has_diag(DIAG_WARNING, "main.yaml", 33, 5,
                       "command 'nobody': no allow: nobody can run this command"));

        c = policy_find_command(p, "restart");
        CHECK(c && c->has_allow && c->form && c->form->n_fields == 2);
        if (c) {
                CHECK_INT(c->line, 18);
                CHECK_INT(c->col, 5);
                CHECK_STREQ(i18n_pick(&c->name, "fr"), "Redémarrer");
                CHECK_STREQ(i18n_pick(&c->confirm, "en"), "Restart {unit}?");
                CHECK_STREQ(c->action->key, "reply");
                CHECK(c->action_cfg != NULL);
                CHECK_INT(strv_length(c->allow.groups), 1);
                CHECK_INT(strv_length(c->allow.jids), 2);
                CHECK_INT(strv_length(c->deny.jids), 1);
        }
        c = policy_find_command(p, "status/all");
        CHECK(c && strv_length(c->allow.jids) == 4 && strv_length(c->allow.groups) == 2);
        c = policy_find_command(p, "nobody");
        CHECK(c && !c->has_allow);
        CHECK(policy_find_command(p, "missing") == NULL);
        policy_free(p);
}

static void test_defaults(void)
{
        struct policy *p = ok("account: {jid: bot@example.org, password: hunter2}\n", NULL);

        if (!p)
                return;
        WARNING_AT(1, 43, "password given inline; prefer password_file");
        CHECK_STREQ(p->account.password, "hunter2");
        CHECK_INT(p->account.tls, TLS_REQUIRED);
        CHECK_INT(p->account.port, 0);
        CHECK_INT(p->sessions.idle_timeout, 600 * USEC_PER_SEC);
        CHECK_INT(p->sessions.max_per_requester, 5);
        CHECK_INT(p->sessions.max_total, 200);
        CHECK_INT(p->sessions.rate_per_minute, 60);
        CHECK_INT(p->n_commands, 0);
        policy_free(p);

        /* plugins: holds built-in features by name, each configured once. */
        fails(ACCOUNT "plugins: [x]\n", NULL);
        ERROR_AT(2, 10, "plugins: expected a map, got a list");
        fails(ACCOUNT "plugins: {x: 1}\n", NULL);
        ERROR_AT(2, 11, "unknown plugin 'x'");
        fails(ACCOUNT "mpris: {}\nplugins: {mpris: {}}\n", NULL);
        ERROR_AT(3, 11, "'mpris' is configured twice: at the top level and under plugins");
        fails("account: {jid: bot@example.org, password_file: pw}\ninclude: [inc.yaml]\n",
              "plugins: {mpris: {}}\n");
        CHECK(has_diag(DIAG_ERROR, "inc.yaml", 1, 1,
                       "'plugins' may only appear in the main file; included files may contain "
                       "access and commands"));
        /* A plugin's section goes to the feature's parser, and its commands use access lists. */
        fails(ACCOUNT "plugins: {mpris: {actions: [dance]}}\n", NULL);
        ERROR_AT(2, 28,
                 "actions: unknown action 'dance' (any of: play-pause, next, previous, "
                 "stop, seek, volume)");
        p = ok(ACCOUNT "access: {flat: {groups: [flatmates]}}\n"
                       "plugins:\n  mpris: {allow: flat, actions: [next, volume]}\n",
               NULL);
        CHECK(p && p->n_features == 1);
        CHECK(p && policy_find_command(p, "mpris") && policy_find_command(p, "mpris/next") &&
              policy_find_command(p, "mpris/volume-up") &&
              policy_find_command(p, "mpris/now-playing"));
        CHECK(p && !policy_find_command(p, "mpris/play-pause") &&
              !policy_find_command(p, "mpris/stop"));
        CHECK(p && policy_find_command(p, "mpris/next") &&
              strv_contains(policy_find_command(p, "mpris/next")->allow.groups, "flatmates"));
        policy_free(p);
        fails(ACCOUNT "plugins:\n  mpris: {allow: nobody}\n", NULL);
        CHECK(d.n_errors > 0);
        /* A feature's section goes to the feature's own parser, which reports its errors. */
        fails(ACCOUNT "presence: {show: dnd}\n", NULL);
        ERROR_AT(2, 18, "show: expected a list, got a scalar");
        p = ok("account: {jid: bot@example.org, password_file: pw, tls: plaintext}\n", NULL);
        WARNING_AT(1, 57, "TLS disabled: for tests only");
        CHECK(p && p->account.tls == TLS_PLAINTEXT);
        policy_free(p);
}

static void test_account_errors(void)
{
        fails("", NULL);
        ERROR_AT(1, 1, "missing 'account' section");
        fails("commands: []\n", NULL);
        ERROR_AT(1, 1, "missing 'account' section");
        fails("- a\n", NULL);
        ERROR_AT(1, 1, "expected a map, got a list");
        fails("account: x\n", NULL);
        ERROR_AT(1, 10, "expected a map, got a scalar");
        fails("account:\n  password_file: pw\n", NULL);
        ERROR_AT(2, 3, "account needs a 'jid'");
        fails("account: {jid: 'not a jid@', password_file: pw}\n", NULL);
        ERROR_AT(1, 16, "invalid account jid 'not a jid@'");
        fails("account: {jid: a@b.c, password: x, password_file: pw}\n", NULL);
        ERROR_AT(1, 51, "give either password or password_file in account, not both");
        fails("account: {jid: a@b.c}\n", NULL);
        ERROR_AT(1, 10, "account needs a password_file (or password)");
        fails("account: {jid: a@b.c, password_file: pw, port: 0}\n", NULL);
        ERROR_AT(1, 48, "expected an integer between 1 and 65535, got '0'");
        fails("account: {jid: a@b.c, password_file: pw, port: 65536}\n", NULL);
        ERROR_AT(1, 48, "got '65536'");
        fails("account: {jid: a@b.c, password_file: pw, tls: optional}\n", NULL);
        ERROR_AT(1, 47,
                 "invalid tls 'optional' (one of: required, direct, trust-self-signed, plaintext)");
        fails("account: {jid: a@b.c, password_file: pw, priority: 128}\n", NULL);
        ERROR_AT(1, 52, "expected an integer between -128 and 127, got '128'");
        fails("account: {jid: a@b.c, password_file: pw, pasword: x}\n", NULL);
        ERROR_AT(1, 42, "unknown key 'pasword' (did you mean 'password'?)");
        fails(ACCOUNT "comands: []\n", NULL);
        ERROR_AT(2, 1, "unknown key 'comands' (did you mean 'commands'?)");
        fails(ACCOUNT "include: {a: b}\n", NULL);
        ERROR_AT(2, 10, "expected a string or a list of strings, got a map");
}

static void test_sessions_errors(void)
{
        fails(ACCOUNT "sessions: {idle_timeout: soon}\n", NULL);
        ERROR_AT(2, 26, "invalid duration 'soon'");
        fails(ACCOUNT "sessions: {idle_timeout: 0}\n", NULL);
        ERROR_AT(2, 26, "idle_timeout: must be more than 0, not '0'");
        fails(ACCOUNT "sessions: {max_total: 0}\n", NULL);
        ERROR_AT(2, 23, "expected an integer between 1 and 1000000, got '0'");
        fails(ACCOUNT "sessions: {max_per_requester: -1}\n", NULL);
        ERROR_AT(2, 31, "got '-1'");
        fails(ACCOUNT "sessions: {rate: 1}\n", NULL);
        ERROR_AT(2, 12, "unknown key 'rate'");
        fails(ACCOUNT "sessions: [1]\n", NULL);
        ERROR_AT(2, 11, "expected a map, got a list");
}

static void test_subscriptions(void)
{
        struct policy *p;

        fails(ACCOUNT "subscriptions: {accept: ['a@b@c']}\n", NULL);
        ERROR_AT(2, 26, "invalid JID pattern 'a@b@c' (expected user@domain or *@domain or domain)");
        fails(ACCOUNT "subscriptions: {accept: [a@example.org/res]}\n", NULL);
        ERROR_AT(2, 26, "invalid JID pattern 'a@example.org/res'");
        fails(ACCOUNT "subscriptions: {acept: []}\n", NULL);
        ERROR_AT(2, 17, "unknown key 'acept' (did you mean 'accept'?)");

        p = ok(ACCOUNT "subscriptions: {accept: [friend@other.org]}\n", NULL);
        WARNING_AT(2, 26,
                   "'friend@other.org' is outside the account's domain and remote_domains: it "
                   "never matches");
        if (p) {
                CHECK(!policy_accepts_subscription(p, "friend@other.org"));
                policy_free(p);
        }

        p = ok(
            ACCOUNT
            "access: {remote_domains: [partner.example, ops.example.org]}\n"
            "subscriptions: {accept: [alice@example.org, '*@ops.example.org', partner.example]}\n",
            NULL);
        if (!p)
                return;
        CHECK(policy_accepts_subscription(p, "alice@example.org"));
        CHECK(policy_accepts_subscription(p, "ALICE@Example.ORG"));
        CHECK(!policy_accepts_subscription(p, "bob@example.org"));
        CHECK(policy_accepts_subscription(p, "bob@ops.example.org"));
        CHECK(!policy_accepts_subscription(p, "bob@evil.ops.example.org"));
        CHECK(policy_accepts_subscription(p, "anyone@partner.example"));
        CHECK(policy_accepts_subscription(p, "partner.example"));
        CHECK(!policy_accepts_subscription(p, "anyone@other.example"));
        CHECK(!policy_accepts_subscription(p, ""));
        CHECK(!policy_accepts_subscription(p, NULL));
        CHECK(!policy_accepts_subscription(p, "not a jid"));
        policy_free(p);

        /* Nothing listed: nothing accepted. */
        p = ok(ACCOUNT, NULL);
        CHECK(p && !policy_accepts_subscription(p, "alice@example.org"));
        policy_free(p);
}

static void test_access_errors(void)
{
        fails(ACCOUNT "access: [a]\n", NULL);
        ERROR_AT(2, 9, "expected a map, got a list");
        fails(ACCOUNT "access: {remote_domains: ['not a domain', a@b.c]}\n", NULL);
        ERROR_AT(2, 27, "invalid domain 'not a domain' in remote_domains");
        ERROR_AT(2, 43, "invalid domain 'a@b.c' in remote_domains");
        fails(ACCOUNT "access: {admins: {jids: [alice]}}\n", NULL);
        ERROR_AT(2, 26, "'alice' is a domain: write '*@alice' for all its users");
        fails(ACCOUNT "access: {admins: {jids: ['*@*.example.org']}}\n", NULL);
        ERROR_AT(2, 26, "invalid JID pattern '*@*.example.org' (expected user@domain or *@domain)");
        fails(ACCOUNT "access: {admins: {group: [a]}}\n", NULL);
        ERROR_AT(2, 19, "unknown key 'group' (did you mean 'groups'?)");
        fails(ACCOUNT "access: {admins: [a]}\n", NULL);
        ERROR_AT(2, 18, "expected a map, got a list");
        fails(ACCOUNT "access: {admins: {groups: [[a]]}}\n", NULL);
        ERROR_AT(2, 28, "expected a string, got a list");

        /* Access lists are global: a name may be defined once across all files. */
        fails(ACCOUNT "access:\n  admins: {groups: [a]}\n", "access:\n  admins: {groups: [b]}\n");
        CHECK(has_diag(DIAG_ERROR, "inc.yaml", 2, 3,
                       "duplicate access list 'admins' (first defined at main.yaml:3:3)"));
        fails(ACCOUNT, "access: {remote_domains: [x.org]}\n");
        CHECK(has_diag(DIAG_ERROR, "inc.yaml", 1, 26,
                       "remote_domains may only be set in the main file"));

        {
                struct policy *p = ok(ACCOUNT "access: {x: {jids: [a@elsewhere.org]}}\n", NULL);
                WARNING_AT(2, 21, "'a@elsewhere.org' is outside the account's domain");
                policy_free(p);
        }
}

static void test_included(void)
{
        struct policy *p;

        fails(ACCOUNT, ACCOUNT);
        CHECK(has_diag(DIAG_ERROR, "inc.yaml", 1, 1,
                       "'account' may only appear in the main file; included files may contain "
                       "access and commands"));
        fails(ACCOUNT, "sessions: {}\nsubscriptions: {}\ninclude: []\n");
        CHECK(has_diag(DIAG_ERROR, "inc.yaml", 3, 1, "'include' may only appear in the main file"));
        fails(ACCOUNT, "acess: {}\n");
        CHECK(
            has_diag(DIAG_ERROR, "inc.yaml", 1, 1, "unknown key 'acess' (did you mean 'access'?)"));
        fails(ACCOUNT, "[a]\n");
        CHECK(has_diag(DIAG_ERROR, "inc.yaml", 1, 1, "expected a map, got a list"));

        /* Commands anywhere may use access lists from anywhere. */
        p = ok(ACCOUNT "access: {admins: {groups: [A]}}\n"
                       "commands: [{node: a, name: A, allow: ops, reply: x}]\n",
               "access: {ops: {groups: [O]}}\n"
               "commands: [{node: b, name: B, allow: admins, reply: x}]\n");
        CHECK(p && p->n_commands == 2 && p->n_access_lists == 2);
        policy_free(p);
}

static void test_command_errors(void)
{
        fails(ACCOUNT "commands: {a: b}\n", NULL);
        ERROR_AT(2, 11, "expected a list, got a map");
        fails(ACCOUNT "commands: [x]\n", NULL);
        ERROR_AT(2, 12, "expected a map, got a scalar");
        fails(ACCOUNT "commands:\n  - {name: A, reply: x}\n", NULL);
        ERROR_AT(3, 5, "command needs a 'node'");
        fails(ACCOUNT "commands:\n  - {node: /abs, name: A, reply: x}\n", NULL);
        ERROR_AT(3, 12, "invalid command node '/abs'");
        fails(ACCOUNT "commands:\n  - {node: 'a b', name: A, reply: x}\n", NULL);
        ERROR_AT(3, 12, "invalid command node 'a b'");
        fails(ACCOUNT "commands:\n  - {node: a, reply: x}\n", NULL);
        ERROR_AT(3, 5, "command 'a' needs a 'name'");
        fails(ACCOUNT "commands:\n  - {node: a, name: {en_GB: A}, reply: x}\n", NULL);
        ERROR_AT(3, 22, "invalid language tag 'en_GB'");
        fails(ACCOUNT "commands:\n  - {node: a, name: A}\n", NULL);
        ERROR_AT(3, 5, "command 'a' has no action (one of: reply");
        fails(ACCOUNT "commands:\n  - {node: a, name: A, reply: x, shell: ls}\n", NULL);
        ERROR_AT(3, 34, "unknown key 'shell'");
        /* Two actions: the second is reported, whichever backends are built in. */
        if (action_ops_lookup("exec")) {
                fails(ACCOUNT "commands:\n  - {node: a, name: A, reply: x, exec: [ls]}\n", NULL);
                ERROR_AT(3, 34, "command 'a' has more than one action ('reply' and 'exec')");
        } else {
                fails(ACCOUNT "commands:\n  - {node: a, name: A, reply: x, exec: [ls]}\n", NULL);
                ERROR_AT(3, 34, "unknown key 'exec'");
        }
        fails(ACCOUNT "commands:\n  - {node: a, name: A, reply: x, 'reply ': y}\n", NULL);
        ERROR_AT(3, 34, "unknown key 'reply ' (did you mean 'reply'?)");
        fails(ACCOUNT "commands:\n  - {node: a, name: A, reply: x, replay: y}\n", NULL);
        ERROR_AT(3, 34, "unknown key 'replay' (did you mean 'reply'?)");
        fails(ACCOUNT "commands:\n  - {node: a, name: A, reply: ~}\n", NULL);
        ERROR_AT(3, 31, "expected a text");
        fails(ACCOUNT "commands:\n  - {node: a, name: A, reply: 'Hi {who}'}\n", NULL);
        ERROR_AT(3, 35, "template references undeclared field 'who'");
        fails(ACCOUNT "commands:\n  - {node: a, name: A, allow: admins, reply: x}\n", NULL);
        ERROR_AT(3, 31, "unknown access list 'admins'");
        fails(ACCOUNT "access: {ops: {}}\n"
                      "commands:\n  - {node: a, name: A, allow: [ops, nope], reply: x}\n",
              NULL);
        ERROR_AT(4, 37, "unknown access list 'nope'");
        fails(
            ACCOUNT
            "commands:\n  - {node: a, name: A, deny: {access: [x]}, allow: {jid: [a]}, reply: x}\n",
            NULL);
        ERROR_AT(3, 40, "unknown access list 'x'");
        ERROR_AT(3, 53, "unknown key 'jid' (did you mean 'jids'?)");
        fails(ACCOUNT "commands:\n  - {node: a, name: A, allow: {jids: ['bad jid']}, reply: x}\n",
              NULL);
        ERROR_AT(3, 39, "invalid JID pattern 'bad jid'");
        fails(ACCOUNT
              "commands:\n  - {node: a, name: A, allow: {}, confirm: 'Sure {x}?', reply: x}\n",
              NULL);
        ERROR_AT(3, 50, "template references undeclared field 'x'");
        fails(ACCOUNT "commands:\n"
                      "  - node: a\n"
                      "    name: A\n"
                      "    confirm: {en: 'Sure?', fr: 'Vraiment {x} ?'}\n"
                      "    reply: x\n",
              NULL);
        ERROR_AT(5, 42, "template references undeclared field 'x'");
}

static void test_duplicates(void)
{
        fails(ACCOUNT "commands:\n"
                      "  - {node: a, name: A, reply: x}\n"
                      "  - {node: a, name: A2, reply: y}\n",
              NULL);
        ERROR_AT(4, 12, "duplicate node 'a' (first defined at main.yaml:3:12)");
        fails(ACCOUNT "commands:\n  - {node: a, name: A, reply: x}\n",
              "commands:\n  - {node: b, name: B, reply: x}\n  - node: a\n    name: A\n    reply: "
              "y\n");
        CHECK(has_diag(DIAG_ERROR, "inc.yaml", 3, 11,
                       "duplicate node 'a' (first defined at main.yaml:3:12)"));
        fails(ACCOUNT "commands:\n"
                      "  - {node: a, name: A, reply: x, reply: y}\n",
              NULL);
        ERROR_AT(3, 34, "duplicate key 'reply' (first defined at line 3)");
}

/* The form definitions, as part of commands. */
static void form_fails(const char *fields, unsigned line, unsigned col, const char *msg)
{
        _cleanup_free_ char *yaml = NULL;

        CHECK(asprintf(&yaml,
                       ACCOUNT "commands:\n  - node: a\n    name: A\n    reply: x\n"
                               "    form:\n      fields:\n%s",
                       fields) > 0);
        fails(yaml, NULL);
        ERROR_AT(line, col, msg);
}

static void test_forms(void)
{
        struct policy *p;
        const struct form_field *f;

        form_fails("        - {label: x}\n", 8, 11, "field needs a 'var'");
        form_fails("        - {var: 'a b'}\n", 8, 17, "invalid field var 'a b'");
        form_fails("        - {var: from}\n", 8, 17, "field var 'from' is reserved");
        form_fails("        - {var: a}\n        - {var: a}\n", 9, 17, "duplicate field var 'a'");
        form_fails("        - {var: a, type: dropdown}\n", 8, 26, "unknown field type 'dropdown'");
        form_fails("        - {var: a, type: list-single}\n", 8, 11,
                   "list field 'a' needs options");
        form_fails("        - {var: a, options: [x]}\n", 8, 29,
                   "field 'a': options are only allowed on list-single and list-multi fields");
        form_fails("        - {var: a, type: list-multi, options: [x, y], default: [x, z]}\n", 8,
                   68, "field 'a': default 'z' is not one of the options");
        form_fails("        - {var: a, type: list-single, options: [x, {value: y, label: Y}, "
                   "{label: Z}]}\n",
                   8, 74, "option needs a 'value'");
        form_fails("        - {var: a, type: list-single, options: [x, x]}\n", 8, 52,
                   "field 'a': duplicate option 'x'");
        form_fails("        - {var: a, default: [x, y]}\n", 8, 29,
                   "field 'a' is text-single and takes a single default");
        form_fails("        - {var: a, type: boolean, default: maybe}\n", 8, 44,
                   "field 'a': default 'maybe' is not a boolean");
        form_fails("        - {var: a, validate: {regex: '(a'}}\n", 8, 38,
                   "field 'a': invalid regex '(a'");
        form_fails("        - {var: a, validate: {datatype: 'xs:color'}}\n", 8, 41,
                   "field 'a': unknown datatype 'xs:color'");
        form_fails("        - {var: a, validate: {range: [1, 2]}}\n", 8, 38,
                   "field 'a': range needs a numeric or date datatype");
        form_fails("        - {var: a, validate: {datatype: 'xs:integer', range: [10, 2]}}\n", 8,
                   62, "field 'a': range minimum 10 is greater than maximum 2");
        form_fails("        - {var: a, validate: {datatype: 'xs:integer', range: [x, 2]}}\n", 8, 63,
                   "field 'a': range bound 'x' is not a valid xs:integer");
        form_fails("        - {var: a, validate: {datatype: 'xs:integer', range: [1]}}\n", 8, 62,
                   "field 'a': range must be a list [min, max]");
        form_fails("        - {var: a, default: abc, validate: {datatype: 'xs:integer'}}\n", 8, 29,
                   "field 'a': default 'abc' is invalid");
        form_fails("        - {var: a, default: abc, validate: {regex: '[0-9]+'}}\n", 8, 29,
                   "field 'a': default 'abc' is invalid");
        form_fails("        - {var: a, type: jid-single, default: 'not a jid'}\n", 8, 47,
                   "field 'a': default 'not a jid' is not a valid JID");
        form_fails("        - {var: a, colour: red}\n", 8, 20, "unknown key 'colour'");
        form_fails("        - {type: fixed, validate: {regex: x}}\n", 8, 35,
                   "fixed fields take no validate");
        form_fails("        {}\n", 8, 9, "expected a list, got a map");
        form_fails("        []\n", 8, 9, "form has no fields");
        {
                _cleanup_free_ char *yaml = NULL;
                CHECK(asprintf(&yaml, "%s",
                               ACCOUNT "commands:\n  - {node: a, name: A, reply: x, form: {title: "
                                       "T, fields: []}}\n") > 0);
                fails(yaml, NULL);
                ERROR_AT(3, 59, "form has no fields");
                fails(ACCOUNT "commands:\n  - {node: a, name: A, reply: x, form: {title: T}}\n",
                      NULL);
                ERROR_AT(3, 40, "form needs 'fields'");
                fails(ACCOUNT "commands:\n  - {node: a, name: A, reply: x, form: {titel: T, "
                              "fields: [{var: a}]}}\n",
                      NULL);
                ERROR_AT(3, 41, "unknown key 'titel' (did you mean 'title'?)");
        }

        p = ok(ACCOUNT "commands:\n"
                       "  - node: a\n"
                       "    name: A\n"
                       "    reply: '{n} {flag} {day} {hosts}'\n"
                       "    form:\n"
                       "      instructions: {en: Fill, fr: Remplir}\n"
                       "      fields:\n"
                       "        - {type: fixed, default: [line one, line two]}\n"
                       "        - {var: n, validate: {datatype: 'xs:integer', range: [1, ~], "
                       "regex: '[0-9]+'}, default: '5'}\n"
                       "        - {var: flag, type: boolean, default: yes}\n"
                       "        - {var: day, validate: {datatype: 'xs:date', range: ['2020-01-01', "
                       "'2030-12-31']}}\n"
                       "        - {var: hosts, type: list-multi, options: [{value: a, label: {en: "
                       "A}}, b], default: [a, b]}\n"
                       "        - {var: secret, type: text-private, desc: Never logged}\n",
               NULL);
        if (!p)
                return;
        f = form_find_field(p->commands[0].form, "n");
        CHECK(f && f->validate.datatype == FORM_DT_INTEGER && f->validate.has_regex);
        CHECK(f && streq_ptr(f->validate.min, "1") && f->validate.max == NULL);
        f = form_find_field(p->commands[0].form, "flag");
        CHECK(f && f->type == FORM_FIELD_BOOLEAN && streq(f->defaults[0], "1"));
        f = form_find_field(p->commands[0].form, "hosts");
        CHECK(f && f->n_options == 2 && strv_length(f->defaults) == 2);
        CHECK(f && streq(i18n_pick(&f->options[0].label, "en"), "A"));
        CHECK_INT(p->commands[0].form->n_fields, 6);
        CHECK(p->commands[0].form->fields[0].var == NULL);
        CHECK_INT(strv_length(p->commands[0].form->fields[0].defaults), 2);
        policy_free(p);
}

static void test_node_syntax(void)
{
        char long_node[202];

        CHECK(command_node_is_valid("restart"));
        CHECK(command_node_is_valid("svc/web.restart-now_2"));
        CHECK(!command_node_is_valid(""));
        CHECK(!command_node_is_valid(NULL));
        CHECK(!command_node_is_valid("/restart"));
        CHECK(!command_node_is_valid("a b"));
        CHECK(!command_node_is_valid("é"));
        CHECK(!command_node_is_valid("a:b"));
        memset(long_node, 'a', 200);
        long_node[200] = 0;
        CHECK(command_node_is_valid(long_node));
        long_node[200] = 'a';
        long_node[201] = 0;
        CHECK(!command_node_is_valid(long_node));
}

static void test_allows(void)
{
        struct policy *p =
            ok(ACCOUNT "access:\n"
                       "  remote_domains: [partner.example]\n"
                       "  admins: {groups: [Admins], jids: [root@example.org]}\n"
                       "commands:\n"
                       "  - {node: admin, name: A, allow: admins, deny: {jids: "
                       "[mallory@example.org], groups: [Banned]}, reply: x}\n"
                       "  - {node: everyone, name: E, allow: {jids: ['*@example.org', "
                       "'*@partner.example', bob@other.example]}, reply: x}\n"
                       "  - {node: nobody, name: N, reply: x}\n"
                       "  - {node: empty, name: E, allow: {}, reply: x}\n",
               NULL);
        char *admins[] = {(char *)"Admins", NULL},
             *banned[] = {(char *)"Admins", (char *)"Banned", NULL};
        char *lower[] = {(char *)"admins", NULL};
        const struct command *admin, *everyone, *nobody, *empty;

        if (!p)
                return;
        WARNING_AT(7, 84, "'bob@other.example' is outside the account's domain and remote_domains");
        admin = policy_find_command(p, "admin");
        everyone = policy_find_command(p, "everyone");
        nobody = policy_find_command(p, "nobody");
        empty = policy_find_command(p, "empty");

        /* Group member allowed, non-member denied, groups are case-sensitive. */
        CHECK(policy_allows(p, admin, &(struct requester){"alice@example.org", admins}));
        CHECK(!policy_allows(p, admin, &(struct requester){"alice@example.org", NULL}));
        CHECK(!policy_allows(p, admin, &(struct requester){"alice@example.org", lower}));
        CHECK(policy_allows(p, admin, &(struct requester){"ROOT@example.ORG", NULL}));
        /* Deny wins over allow, by JID or by group. */
        CHECK(!policy_allows(p, admin, &(struct requester){"mallory@example.org", admins}));
        CHECK(!policy_allows(p, admin, &(struct requester){"alice@example.org", banned}));
        /* A group from the roster does not help a foreign domain. */
        CHECK(!policy_allows(p, admin, &(struct requester){"alice@evil.example", admins}));
        CHECK(policy_allows(p, admin, &(struct requester){"carol@partner.example", admins}));

        /* *@domain, own and remote; other domains denied even when listed. */
        CHECK(policy_allows(p, everyone, &(struct requester){"anyone@example.org", NULL}));
        CHECK(policy_allows(p, everyone, &(struct requester){"x@partner.example", NULL}));
        CHECK(!policy_allows(p, everyone, &(struct requester){"x@sub.example.org", NULL}));
        CHECK(!policy_allows(p, everyone, &(struct requester){"bob@other.example", NULL}));
        CHECK(!policy_allows(p, everyone, &(struct requester){"example.org", NULL}));

        /* No allow, or an empty one: nobody. */
        CHECK(!policy_allows(p, nobody, &(struct requester){"root@example.org", admins}));
        CHECK(!policy_allows(p, empty, &(struct requester){"root@example.org", admins}));

        /* Bad input is denied. */
        CHECK(!policy_allows(p, admin, &(struct requester){NULL, admins}));
        CHECK(!policy_allows(p, admin, &(struct requester){"", admins}));
        CHECK(!policy_allows(p, admin, &(struct requester){"not a jid", admins}));
        CHECK(!policy_allows(p, admin, NULL));
        CHECK(!policy_allows(p, NULL, &(struct requester){"root@example.org", NULL}));
        CHECK(!policy_allows(NULL, admin, &(struct requester){"root@example.org", NULL}));

        CHECK(access_matches(&admin->allow, &(struct requester){"x@y.z", admins}));
        CHECK(!access_matches(&admin->allow, &(struct requester){"x@y.z", NULL}));
        policy_free(p);
}

/* policy_load(): files in a temporary directory. */
static char tmpdir[] = "/tmp/test-policy-XXXXXX";

static char *tmp_path(const char *name)
{
        char *s;

        if (asprintf(&s, "%s/%s", tmpdir, name) < 0)
                abort();
        return s;
}

static void write_file(const char *name, const char *content, mode_t mode)
{
        _cleanup_free_ char *path = tmp_path(name);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

        CHECK(fd >= 0);
        CHECK(write(fd, content, strlen(content)) == (ssize_t)strlen(content));
        CHECK(fchmod(fd, mode) == 0);
        close(fd);
}

static void make_dir(const char *name)
{
        _cleanup_free_ char *path = tmp_path(name);

        CHECK(mkdir(path, 0700) == 0);
}

static void remove_file(const char *name)
{
        _cleanup_free_ char *path = tmp_path(name);

        CHECK(unlink(path) == 0);
}

static int load(const char *name, struct policy **ret)
{
        _cleanup_free_ char *path = tmp_path(name);

        diags_done(&d);
        return policy_load(path, ret, &d);
}

static int load_has(enum diag_level level, const char *name, unsigned line, unsigned col,
                    const char *msg)
{
        _cleanup_free_ char *path = tmp_path(name);

        return has_diag(level, path, line, col, msg);
}

static void test_load(void)
{
        _cleanup_free_ char *main_path = NULL, *pw_path = NULL, *msg = NULL;
        struct policy *p = NULL;

        CHECK(mkdtemp(tmpdir) != NULL);
        main_path = tmp_path("main.yaml");
        pw_path = tmp_path("secret");
        make_dir("conf.d");
        make_dir("empty.d");
        write_file("secret", "s3cret\n", 0600);
        write_file("conf.d/20-b.yaml", "commands: [{node: b, name: B, allow: admins, reply: x}]\n",
                   0644);
        write_file("conf.d/10-a.yaml",
                   "access: {admins: {groups: [A]}}\n"
                   "commands: [{node: a, name: A, allow: admins, reply: x}]\n",
                   0644);
        write_file("conf.d/notes.txt", "not yaml: [\n", 0644);
        write_file("main.yaml",
                   "account: {jid: bot@example.org, password_file: secret}\n"
                   "include: ['conf.d/*.yaml', 'empty.d/*.yaml', '*.yaml', conf.d/10-a.yaml]\n"
                   "commands: [{node: main, name: M, allow: admins, reply: x}]\n",
                   0644);
        CHECK_INT(load("main.yaml", &p), 0);
        if (p) {
                CHECK_STREQ(p->account.password, "s3cret");
                CHECK_STREQ(p->account.password_file, pw_path);
                CHECK_STREQ(p->file, main_path);
                /* Main file first, then the includes in glob order; nothing read twice. */
                CHECK_INT(p->n_commands, 3);
                if (p->n_commands == 3) {
                        CHECK_STREQ(p->commands[0].node, "main");
                        CHECK_STREQ(p->commands[1].node, "a");
                        CHECK_STREQ(p->commands[2].node, "b");
                }
                CHECK_INT(d.n, 0);
                p = policy_free(p);
        }

        /* A group- or world-readable password file is a warning, at the key. */
        write_file("secret", "pw", 0644);
        CHECK_INT(load("main.yaml", &p), 0);
        CHECK(load_has(DIAG_WARNING, "main.yaml", 1, 33, "is readable by others (mode 0644)"));
        CHECK(p && streq(p->account.password, "pw"));
        p = policy_free(p);

        /* Only one newline is stripped. */
        write_file("secret", "pw\n\n", 0600);
        CHECK_INT(load("main.yaml", &p), 0);
        CHECK(p && streq(p->account.password, "pw\n"));
        p = policy_free(p);

        write_file("secret", "\n", 0600);
        CHECK_INT(load("main.yaml", &p), -EINVAL);
        CHECK(load_has(DIAG_ERROR, "main.yaml", 1, 33, "is empty"));

        /* Unreadable password files: missing, a directory, and (unless root) mode 000. */
        write_file("main2.yaml", "account: {jid: bot@example.org, password_file: missing}\n", 0600);
        CHECK_INT(load("main2.yaml", &p), -EINVAL);
        CHECK(p == NULL);
        CHECK(asprintf(&msg, "cannot read password_file '%s/missing': No such file or directory",
                       tmpdir) > 0);
        CHECK(load_has(DIAG_ERROR, "main2.yaml", 1, 33, msg));
        write_file("main2.yaml", "account:\n  jid: bot@example.org\n  password_file: conf.d\n",
                   0600);
        CHECK_INT(load("main2.yaml", &p), -EINVAL);
        CHECK(load_has(DIAG_ERROR, "main2.yaml", 3, 3, "Is a directory"));
        if (geteuid() != 0) {
                write_file("secret", "pw", 0000);
                CHECK_INT(load("main.yaml", &p), -EINVAL);
                CHECK(load_has(DIAG_ERROR, "main.yaml", 1, 33, "Permission denied"));
        }
        write_file("secret", "pw", 0600);

        /* A literal include must exist; errors in included files name them. */
        write_file("main3.yaml", ACCOUNT "include:\n  - conf.d/10-a.yaml\n  - missing.yaml\n",
                   0600);
        write_file("pw", "pw", 0600);
        CHECK_INT(load("main3.yaml", &p), -EINVAL);
        free(msg);
        CHECK(asprintf(&msg, "cannot read included file '%s/missing.yaml': No such file", tmpdir) >
              0);
        CHECK(load_has(DIAG_ERROR, "main3.yaml", 4, 5, msg));

        /* A pattern may match nothing, but its directory must exist. */
        write_file("main5.yaml", ACCOUNT "include: [empty.d/*.yaml, 'nodir.d/*.yaml']\n", 0600);
        CHECK_INT(load("main5.yaml", &p), -EINVAL);
        free(msg);
        CHECK(asprintf(&msg,
                       "cannot read the files of include '%s/nodir.d/*.yaml': No such file or "
                       "directory",
                       tmpdir) > 0);
        CHECK(load_has(DIAG_ERROR, "main5.yaml", 2, 27, msg));
        CHECK_INT(d.n_errors, 1);

        write_file("conf.d/30-bad.yaml", "account: {}\ncommands: [{node: a, name: A2, reply: y}]\n",
                   0644);
        CHECK_INT(load("main.yaml", &p), -EINVAL);
        CHECK(load_has(DIAG_ERROR, "conf.d/30-bad.yaml", 1, 1,
                       "'account' may only appear in the main file"));
        free(msg);
        CHECK(asprintf(&msg, "duplicate node 'a' (first defined at %s/conf.d/10-a.yaml:2:19)",
                       tmpdir) > 0);
        CHECK(load_has(DIAG_ERROR, "conf.d/30-bad.yaml", 2, 19, msg));
        write_file("conf.d/30-bad.yaml", "commands: [{node: c, name: C, reply: [}\n", 0644);
        CHECK_INT(load("main.yaml", &p), -EINVAL);
        CHECK(load_has(DIAG_ERROR, "conf.d/30-bad.yaml", 1, 39,
                       "did not find expected node content"));
        remove_file("conf.d/30-bad.yaml");

        /* The main file itself. */
        CHECK_INT(load("nonexistent.yaml", &p), -EINVAL);
        CHECK(load_has(DIAG_ERROR, "nonexistent.yaml", 0, 0,
                       "cannot read: No such file or directory"));
        write_file("main4.yaml", "account: [\n", 0600);
        CHECK_INT(load("main4.yaml", &p), -EINVAL);
        CHECK(load_has(DIAG_ERROR, "main4.yaml", 2, 1, "did not find expected node content"));
        CHECK(p == NULL);
}

static void cleanup_tmp(void)
{
        _cleanup_free_ char *cmd = NULL;

        if (asprintf(&cmd, "rm -rf '%s'", tmpdir) > 0 && system(cmd) != 0)
                fprintf(stderr, "could not remove %s\n", tmpdir);
}

int main(void)
{
        test_full();
        test_defaults();
        test_account_errors();
        test_sessions_errors();
        test_subscriptions();
        test_access_errors();
        test_included();
        test_command_errors();
        test_duplicates();
        test_forms();
        test_node_syntax();
        test_allows();
        test_load();
        cleanup_tmp();
        diags_done(&d);
        return TESTS_RESULT();
}
