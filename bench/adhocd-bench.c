/* SPDX-License-Identifier: MIT */
/*
 * adhocd-bench: measures what an ad-hoc command costs, next to the XMPP round trip it rides on.
 * bench/run.sh sets up the server, the bus and the agent and calls it once per phase; see
 * bench/README.md. Every figure is printed, none is asserted.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>

#include "bench.h"

static void usage(FILE *f)
{
        fputs("Usage: adhocd-bench [OPTIONS] SCENARIO [-- AGENT-COMMAND...]\n"
              "\n"
              "Scenarios (each prints CSV rows \"phase,metric,value\" on stdout):\n"
              "  ping         XEP-0199 pings to --to\n"
              "  command      the single-stage command --node of --to\n"
              "  multistage   the three stages of --node: execute, submit the form, confirm\n"
              "  sessions     --count open sessions of --node: the agent's RSS before, with them\n"
              "               and after canceling them; --probe commands of --probe-node around\n"
              "  startup      starts AGENT-COMMAND --count times: time to its presence and to\n"
              "               the answer of --node (--to is the agent's bare JID here)\n"
              "  dbus-bare    sd-bus calls of org.adhocd.Test1.EchoS on --bus, without the agent\n"
              "  spawn-bare   posix_spawn() + waitpid() of --program, without the agent\n"
              "  fork-bare    fork() + execve() + waitpid() of --program, without the agent\n"
              "\n"
              "Options:\n"
              "  --phase NAME          first column of the output rows (default: the scenario)\n"
              "  --host ADDR           XMPP server (default 127.0.0.1)\n"
              "  --port N              its c2s port (default 5222)\n"
              "  --domain DOMAIN       the accounts' domain (default example.test)\n"
              "  --user PREFIX         accounts are PREFIX1..PREFIXn (default bench)\n"
              "  --accounts N          how many such accounts exist (default 1)\n"
              "  --password-file FILE  their common password\n"
              "  --ca FILE             CA certificate of the server\n"
              "  --to JID              the agent's full JID\n"
              "  --node NODE           the command\n"
              "  --concurrency N       connections, one request in flight on each (default 1)\n"
              "  --count N             measured requests, sessions or rounds\n"
              "  --warmup N            unmeasured requests first (default 0)\n"
              "  --duration S          measure for S seconds instead of --count requests\n"
              "  --warmup-time S       unmeasured lead-in before --duration (default 1)\n"
              "  --probe N             sessions: reply commands sent around (default 0)\n"
              "  --probe-node NODE     sessions: the command they run\n"
              "  --bus ADDRESS         dbus-bare: the bus\n"
              "  --program PATH        spawn-bare, fork-bare (default /bin/true)\n"
              "  --log FILE            startup: where the agent's output goes\n"
              "  --pid NAME=PID        report the CPU time of PID as NAME (agent, server)\n"
              "  -v, --verbose         timestamps of each phase's steps on stderr\n"
              "  -h, --help            this help\n",
              f);
}

static int read_password(const char *path, char **ret)
{
        char buf[4096];
        size_t len;
        FILE *f = fopen(path, "re");

        if (!f)
                return -errno;
        len = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[len] = 0;
        buf[strcspn(buf, "\r\n")] = 0;
        if (!buf[0])
                return -EINVAL;
        *ret = strdup(buf);
        return *ret ? 0 : -ENOMEM;
}

static int parse_pid(struct bench_opts *o, char *arg)
{
        char *eq = strchr(arg, '=');

        if (!eq || o->n_pids >= BENCH_MAX_PIDS)
                return -EINVAL;
        *eq = 0;
        o->pids[o->n_pids].name = arg;
        o->pids[o->n_pids].pid = atoi(eq + 1);
        if (o->pids[o->n_pids].pid <= 0)
                return -EINVAL;
        o->n_pids++;
        return 0;
}

enum {
        OPT_PHASE = 0x100,
        OPT_HOST,
        OPT_PORT,
        OPT_DOMAIN,
        OPT_USER,
        OPT_ACCOUNTS,
        OPT_PASSWORD_FILE,
        OPT_CA,
        OPT_TO,
        OPT_NODE,
        OPT_CONCURRENCY,
        OPT_COUNT,
        OPT_WARMUP,
        OPT_DURATION,
        OPT_WARMUP_TIME,
        OPT_PROBE,
        OPT_PROBE_NODE,
        OPT_BUS,
        OPT_PROGRAM,
        OPT_LOG,
        OPT_PID,
};

static const struct option options[] = {
    {"phase", required_argument, NULL, OPT_PHASE},
    {"host", required_argument, NULL, OPT_HOST},
    {"port", required_argument, NULL, OPT_PORT},
    {"domain", required_argument, NULL, OPT_DOMAIN},
    {"user", required_argument, NULL, OPT_USER},
    {"accounts", required_argument, NULL, OPT_ACCOUNTS},
    {"password-file", required_argument, NULL, OPT_PASSWORD_FILE},
    {"ca", required_argument, NULL, OPT_CA},
    {"to", required_argument, NULL, OPT_TO},
    {"node", required_argument, NULL, OPT_NODE},
    {"concurrency", required_argument, NULL, OPT_CONCURRENCY},
    {"count", required_argument, NULL, OPT_COUNT},
    {"warmup", required_argument, NULL, OPT_WARMUP},
    {"duration", required_argument, NULL, OPT_DURATION},
    {"warmup-time", required_argument, NULL, OPT_WARMUP_TIME},
    {"probe", required_argument, NULL, OPT_PROBE},
    {"probe-node", required_argument, NULL, OPT_PROBE_NODE},
    {"bus", required_argument, NULL, OPT_BUS},
    {"program", required_argument, NULL, OPT_PROGRAM},
    {"log", required_argument, NULL, OPT_LOG},
    {"pid", required_argument, NULL, OPT_PID},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {},
};

/* Fills o from argv; returns the index of the scenario argument, or -1 (usage printed). */
static int parse_args(int argc, char **argv, struct bench_opts *o, char **ret_password)
{
        int c, r;

        while ((c = getopt_long(argc, argv, "+vh", options, NULL)) >= 0) {
                switch (c) {
                case OPT_PHASE:
                        o->phase = optarg;
                        break;
                case OPT_HOST:
                        o->host = optarg;
                        break;
                case OPT_PORT:
                        o->port = (unsigned)atoi(optarg);
                        break;
                case OPT_DOMAIN:
                        o->domain = optarg;
                        break;
                case OPT_USER:
                        o->user = optarg;
                        break;
                case OPT_ACCOUNTS:
                        o->accounts = (unsigned)atoi(optarg);
                        break;
                case OPT_CA:
                        o->ca_file = optarg;
                        break;
                case OPT_TO:
                        o->to = optarg;
                        break;
                case OPT_NODE:
                        o->node = optarg;
                        break;
                case OPT_CONCURRENCY:
                        o->concurrency = (unsigned)atoi(optarg);
                        break;
                case OPT_COUNT:
                        o->count = strtoull(optarg, NULL, 10);
                        break;
                case OPT_WARMUP:
                        o->warmup = strtoull(optarg, NULL, 10);
                        break;
                case OPT_DURATION:
                        o->duration_s = atof(optarg);
                        break;
                case OPT_WARMUP_TIME:
                        o->warmup_s = atof(optarg);
                        break;
                case OPT_PROBE:
                        o->probe = (unsigned)atoi(optarg);
                        break;
                case OPT_PROBE_NODE:
                        o->probe_node = optarg;
                        break;
                case OPT_BUS:
                        o->bus_address = optarg;
                        break;
                case OPT_PROGRAM:
                        o->program = optarg;
                        break;
                case OPT_LOG:
                        o->log_file = optarg;
                        break;
                case 'v':
                        o->verbose = true;
                        break;
                case OPT_PASSWORD_FILE:
                        r = read_password(optarg, ret_password);
                        if (r < 0) {
                                bench_warn("cannot read a password from %s: %s", optarg,
                                           strerror(-r));
                                return -1;
                        }
                        o->password = *ret_password;
                        break;
                case OPT_PID:
                        if (parse_pid(o, optarg) < 0) {
                                bench_warn("--pid takes NAME=PID (at most %d)", BENCH_MAX_PIDS);
                                return -1;
                        }
                        break;
                case 'h':
                        usage(stdout);
                        exit(0);
                default:
                        usage(stderr);
                        return -1;
                }
        }
        if (optind >= argc) {
                usage(stderr);
                return -1;
        }
        return optind;
}

static int run_scenario(struct bench_opts *o, const char *scenario)
{
        bool xmpp = !streq(scenario, "dbus-bare") && !streq(scenario, "spawn-bare") &&
                    !streq(scenario, "fork-bare");

        if (xmpp && !o->password)
                return bench_warn("%s needs --password-file", scenario), -EINVAL;
        if (streq(scenario, "ping") || streq(scenario, "command") || streq(scenario, "multistage"))
                return scenario_load(o, scenario);
        if (streq(scenario, "sessions"))
                return scenario_sessions(o);
        if (streq(scenario, "startup"))
                return scenario_startup(o);
        if (streq(scenario, "dbus-bare"))
                return scenario_dbus_bare(o);
        if (streq(scenario, "spawn-bare"))
                return scenario_spawn_bare(o, false);
        if (streq(scenario, "fork-bare"))
                return scenario_spawn_bare(o, true);
        bench_warn("unknown scenario '%s' (see --help)", scenario);
        return -EINVAL;
}

int main(int argc, char **argv)
{
        _cleanup_free_ char *password = NULL;
        struct bench_opts o = {
            .host = "127.0.0.1",
            .port = 5222,
            .domain = "example.test",
            .user = "bench",
            .accounts = 1,
            .concurrency = 1,
            .warmup_s = 1,
        };
        const char *scenario;
        int i, r;

        i = parse_args(argc, argv, &o, &password);
        if (i < 0)
                return 2;
        scenario = argv[i];
        if (!o.phase)
                o.phase = scenario;
        if (i + 1 < argc && streq(argv[i + 1], "--"))
                o.argv = &argv[i + 2];
        if (o.concurrency == 0 || o.accounts == 0) {
                bench_warn("--concurrency and --accounts must be at least 1");
                return 2;
        }
        signal(SIGPIPE, SIG_IGN);
        xmpp_initialize();
        r = run_scenario(&o, scenario);
        xmpp_shutdown();
        if (r < 0) {
                bench_warn("%s failed: %s", o.phase, strerror(-r));
                return 1;
        }
        return r;
}
