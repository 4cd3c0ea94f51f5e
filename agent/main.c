/* SPDX-License-Identifier: MIT */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"

#define DEFAULT_CONFIG "/etc/adhocd/adhocd.yaml"

static void usage(FILE *f)
{
        fprintf(f, "Usage: adhocd [--config FILE] [--verbose]\n"
                   "       adhocd --check-config [--config FILE]\n"
                   "       adhocd --version\n"
                   "\n"
                   "  -c, --config FILE   configuration (default " DEFAULT_CONFIG ")\n"
                   "      --check-config  validate the configuration and exit (0 valid, 1 not)\n"
                   "  -v, --verbose       debug logging, XMPP traffic with secrets redacted\n"
                   "      --version       print the version and exit\n"
                   "  -h, --help          this help\n");
}

static int check_config(const char *path)
{
        _cleanup_(diags_done) struct diags d = {0};
        _cleanup_(policy_freep) struct policy *p = NULL;
        size_t n_providers;
        int r;

        r = policy_load(path, &p, &d);
        diags_print(&d, stderr);
        if (r < 0) {
                fprintf(stderr, "%s: invalid (%zu error(s))\n", path, d.n_errors);
                return 1;
        }
        if (geteuid() == 0 && !p->allow_root)
                fprintf(stderr,
                        "%s: warning: adhocd refuses to run as root without "
                        "'allow_root: true'\n",
                        path);
        n_providers = 0;
        for (size_t i = 0; i < p->n_commands; i++)
                n_providers += command_is_provider(&p->commands[i]);
        /* An entry with methods: ["*"] is not a command: its commands are found at run time. */
        printf("%s: valid (%zu command(s)", path, p->n_commands - n_providers);
        if (n_providers > 0)
                printf(", and %zu entr%s whose commands are found at run time", n_providers,
                       n_providers == 1 ? "y" : "ies");
        printf("%s)\n", d.n > 0 ? ", with warnings" : "");
        return 0;
}

static int run(const char *path, bool verbose)
{
        _cleanup_(diags_done) struct diags d = {0};
        _cleanup_(agent_freep) struct agent *a = NULL;
        struct policy *p = NULL;
        sd_event *event = NULL;
        sigset_t mask;
        int r;

        /* sd-event delivers these through a signalfd: block their default handling first, so
         * that a SIGTERM during start-up still ends in a clean exit. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGCHLD); /* children are reaped by sd-event child sources */
        sigprocmask(SIG_BLOCK, &mask, NULL);
        signal(SIGPIPE, SIG_IGN);

        r = policy_load(path, &p, &d);
        diags_print(&d, stderr);
        if (r < 0) {
                policy_free(p);
                log_error("Cannot start: %s is invalid", path);
                return 1;
        }
        /* Remote people drive this process: root would hand them the machine on any bug. */
        if (geteuid() == 0 && !p->allow_root) {
                policy_free(p);
                log_error("Refusing to run as root: run adhocd as a dedicated user (see "
                          "adhocd.service), or set 'allow_root: true' in %s if you really must",
                          path);
                return 1;
        }
        if (geteuid() == 0)
                log_warning("Running as root (allow_root: true): every action runs as root too");

        r = sd_event_default(&event);
        if (r < 0) {
                policy_free(p);
                log_error_errno(r, "Failed to create the event loop: %m");
                return 1;
        }
        /* WatchdogSec= (WATCHDOG_USEC): the loop itself sends WATCHDOG=1 at half the interval,
         * so a loop that stops turning gets the agent restarted. */
        r = sd_event_set_watchdog(event, true);
        if (r < 0)
                log_warning_errno(r, "Cannot send systemd watchdog keep-alives: %m");
        else if (r > 0)
                log_debug("systemd watchdog keep-alives enabled");
        r = agent_new(event, path, p, verbose, &a);
        if (r < 0) {
                if (!a)
                        policy_free(p);
                sd_event_unref(event);
                log_error_errno(r, "Failed to start: %m");
                return 1;
        }
        r = agent_run(a);
        a = agent_free(a);
        sd_event_unref(event);
        if (r < 0) {
                log_error_errno(r, "Event loop failed: %m");
                return 1;
        }
        log_info("Stopped");
        return r;
}

int main(int argc, char **argv)
{
        enum { OPT_CHECK = 0x100, OPT_VERSION };
        static const struct option options[] = {
            {"config", required_argument, NULL, 'c'},
            {"check-config", no_argument, NULL, OPT_CHECK},
            {"verbose", no_argument, NULL, 'v'},
            {"version", no_argument, NULL, OPT_VERSION},
            {"help", no_argument, NULL, 'h'},
            {},
        };
        const char *config = DEFAULT_CONFIG;
        bool check = false, verbose = false;
        int c;

        while ((c = getopt_long(argc, argv, "c:vh", options, NULL)) >= 0) {
                switch (c) {
                case 'c':
                        config = optarg;
                        break;
                case OPT_CHECK:
                        check = true;
                        break;
                case 'v':
                        verbose = true;
                        break;
                case OPT_VERSION:
                        printf("adhocd %s\n", ADHOCD_VERSION);
                        return 0;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        if (optind < argc) {
                usage(stderr);
                return 2;
        }
        log_setup(verbose);
        if (check)
                return check_config(config);
        return run(config, verbose);
}
