/* SPDX-License-Identifier: MIT */
/*
 * Finding the server without blocking the loop (RFC 6120 section 3.2). A forked child looks up
 * the SRV records of _xmpp-client._tcp.DOMAIN (_xmpps-client for direct TLS) and the addresses
 * of their targets, or of DOMAIN itself on the default port when there are none, or of the
 * configured host only, using the C library's resolver (so nsswitch and /etc/hosts apply). It
 * writes "ADDRESS PORT" lines to a pipe and exits; the loop reads them, reaps it through a
 * child source, and kills it when it takes longer than the request's timeout.
 */
#include "resolve.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <fcntl.h>
#include <netdb.h>
#include <resolv.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define OUTPUT_MAX 4096 /* RESOLVE_MAX_ENDPOINTS lines fit */

struct resolve {
        sd_event *event;
        int fd;
        sd_event_source *io, *child, *timer, *reaped;
        char buf[OUTPUT_MAX];
        size_t len;
        bool eof, exited, failed;
        bool canceled; /* freed by its owner: waits for its child, then frees itself */
        resolve_done_t cb;
        void *userdata;
};

/* ---- Pure parts ---- */

static int srv_compare(const void *a, const void *b)
{
        const struct srv_record *x = a, *y = b;

        if (x->priority != y->priority)
                return x->priority < y->priority ? -1 : 1;
        /* Highest weight first: RFC 2782's weighted random pick, made deterministic. */
        return x->weight == y->weight ? 0 : x->weight > y->weight ? -1 : 1;
}

int resolve_parse_srv(const uint8_t *msg, size_t len, struct srv_record *ret, size_t max,
                      size_t *ret_n)
{
        ns_msg handle;
        size_t n = 0;
        bool dot = false;

        if (len > 65535 || ns_initparse(msg, (int)len, &handle) < 0)
                return -EBADMSG;
        for (int i = 0; i < ns_msg_count(handle, ns_s_an); i++) {
                const uint8_t *rdata;
                struct srv_record rec;
                ns_rr rr;

                if (ns_parserr(&handle, ns_s_an, i, &rr) < 0)
                        return -EBADMSG;
                if (ns_rr_type(rr) != ns_t_srv || ns_rr_class(rr) != ns_c_in)
                        continue;
                rdata = ns_rr_rdata(rr);
                if (ns_rr_rdlen(rr) < 7)
                        return -EBADMSG;
                rec.priority = ns_get16(rdata);
                rec.weight = ns_get16(rdata + 2);
                rec.port = ns_get16(rdata + 4);
                if (dn_expand(ns_msg_base(handle), ns_msg_end(handle), rdata + 6, rec.target,
                              sizeof(rec.target)) < 0)
                        return -EBADMSG;
                if (isempty(rec.target) || streq(rec.target, ".")) {
                        dot = true;
                        continue;
                }
                if (rec.port == 0)
                        continue; /* nothing can be reached there */
                if (n < max)
                        ret[n++] = rec;
        }
        qsort(ret, n, sizeof(*ret), srv_compare);
        *ret_n = n;
        return n == 0 && dot ? 1 : 0;
}

static bool parse_port(const char *s, uint16_t *ret)
{
        unsigned long v = 0;

        if (!*s || strlen(s) > 5)
                return false;
        for (const char *p = s; *p; p++) {
                if (*p < '0' || *p > '9')
                        return false;
                v = v * 10 + (unsigned long)(*p - '0');
        }
        if (v == 0 || v > 65535)
                return false;
        *ret = (uint16_t)v;
        return true;
}

int resolve_parse_numeric(const char *host, uint16_t port, struct endpoint *ret)
{
        char copy[INET6_ADDRSTRLEN];
        struct in6_addr a6;
        struct in_addr a4;
        size_t n = strlen(host);

        if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
                host++;
                n -= 2;
        }
        if (n >= sizeof(copy) || port == 0)
                return -EINVAL;
        memcpy(copy, host, n);
        copy[n] = '\0';
        if (inet_pton(AF_INET, copy, &a4) != 1 && inet_pton(AF_INET6, copy, &a6) != 1)
                return -EINVAL;
        memcpy(ret->address, copy, n + 1);
        ret->port = port;
        return 0;
}

static bool parse_endpoint(const char *line, size_t len, struct endpoint *ret)
{
        char copy[INET6_ADDRSTRLEN + 8], *space;
        uint16_t port;

        if (len >= sizeof(copy) || memchr(line, '\0', len))
                return false;
        memcpy(copy, line, len);
        copy[len] = '\0';
        space = strchr(copy, ' ');
        if (!space || space[1] == '[')
                return false;
        *space = '\0';
        return copy[0] != '[' && parse_port(space + 1, &port) &&
               resolve_parse_numeric(copy, port, ret) >= 0;
}

int resolve_parse_endpoints(const char *text, size_t len, struct endpoint *ret, size_t max,
                            size_t *ret_n)
{
        size_t n = 0;

        while (len > 0) {
                const char *nl = memchr(text, '\n', len);
                size_t k;

                if (!nl)
                        return -EBADMSG; /* every line ends: a cut one is not trusted */
                k = (size_t)(nl - text);
                if (n >= max || !parse_endpoint(text, k, &ret[n]))
                        return -EBADMSG;
                n++;
                text += k + 1;
                len -= k + 1;
        }
        *ret_n = n;
        return 0;
}

const char *resolve_strerror(int error)
{
        switch (-error) {
        case ETIMEDOUT:
                return "the lookup timed out";
        case ENOENT:
                return "no such name, or no XMPP service there";
        case EADDRNOTAVAIL:
                return "the name has no address";
        case EBADMSG:
        case EMSGSIZE:
                return "the lookup gave an unusable answer";
        default:
                return strerror(-error);
        }
}

/* ---- The child ---- */

static int emit_host(int fd, const char *host, uint16_t port, unsigned *n)
{
        struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
        struct addrinfo *res = NULL;

        if (getaddrinfo(host, NULL, &hints, &res) != 0)
                return -ENOENT;
        for (struct addrinfo *ai = res; ai && *n < RESOLVE_MAX_ENDPOINTS; ai = ai->ai_next) {
                char text[INET6_ADDRSTRLEN];
                const void *a;

                if (ai->ai_family == AF_INET)
                        a = &((const struct sockaddr_in *)(const void *)ai->ai_addr)->sin_addr;
                else if (ai->ai_family == AF_INET6)
                        a = &((const struct sockaddr_in6 *)(const void *)ai->ai_addr)->sin6_addr;
                else
                        continue;
                if (!inet_ntop(ai->ai_family, a, text, sizeof(text)))
                        continue;
                if (dprintf(fd, "%s %u\n", text, (unsigned)port) < 0)
                        break;
                (*n)++;
        }
        freeaddrinfo(res);
        return 0;
}

static int lookup_default(const struct resolve_request *req, int fd)
{
        uint16_t dflt = req->direct_tls ? 5223 : 5222;
        struct srv_record recs[RESOLVE_MAX_TARGETS];
        uint8_t answer[NS_MAXMSG];
        char name[300];
        size_t n_recs = 0;
        unsigned n = 0;
        int len, r;

        if (req->host)
                return emit_host(fd, req->host, req->port ?: dflt, &n);
        if (snprintf(name, sizeof(name), "_%s._tcp.%s",
                     req->direct_tls ? "xmpps-client" : "xmpp-client",
                     req->domain) >= (int)sizeof(name))
                return -EINVAL;
        len = res_query(name, ns_c_in, ns_t_srv, answer, sizeof(answer));
        /* A longer answer is cut to the buffer, but its full length is returned. */
        if (len > (int)sizeof(answer))
                len = (int)sizeof(answer);
        r = len > 0 ? resolve_parse_srv(answer, (size_t)len, recs, ELEMENTSOF(recs), &n_recs)
                    : -ENOENT;
        if (r == 1)
                return -ENOENT; /* "." : the domain offers no XMPP service */
        if (r < 0 || n_recs == 0)
                return emit_host(fd, req->domain, req->port ?: dflt, &n);
        for (size_t i = 0; i < n_recs; i++)
                (void)emit_host(fd, recs[i].target, req->port ?: recs[i].port, &n);
        return n > 0 ? 0 : -ENOENT;
}

__attribute__((noreturn)) static void child_main(const struct resolve_request *req, int fd,
                                                 pid_t parent)
{
        sigset_t all;

        /* Dies with the agent (even if it went before this line), holds none of its descriptors
         * (e.g. the old XMPP socket), and blocks none of the signals the agent blocks. */
        (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
                _exit(2);
        sigemptyset(&all);
        (void)sigprocmask(SIG_SETMASK, &all, NULL);
        if (fd != 3 && dup2(fd, 3) < 0)
                _exit(2);
        (void)close_range(4, ~0U, 0);
        _exit((req->lookup ?: lookup_default)(req, 3) < 0 ? 1 : 0);
}

/* ---- The loop's side ---- */

/* In the child, the lookup that forked it: a memory checker following the fork (valgrind)
 * would otherwise report it lost when the child exits. */
static struct resolve *volatile forked_from;

/* Kills the child; the loop reaps it once it is gone (on_child_exit). */
static void kill_child(struct resolve *r)
{
        if (r->child && !r->exited)
                (void)sd_event_source_send_child_signal(r->child, SIGKILL, NULL, 0);
}

static void resolve_destroy(struct resolve *r)
{
        /* Owned: a child still running here is killed and waited for, which happens only when
         * the loop is gone (resolve_free()) or the child has exited. */
        r->child = sd_event_source_unref(r->child);
        r->io = sd_event_source_disable_unref(r->io);
        r->timer = sd_event_source_disable_unref(r->timer);
        r->reaped = sd_event_source_disable_unref(r->reaped);
        if (r->fd >= 0)
                close(r->fd);
        sd_event_unref(r->event);
        free(r);
}

struct resolve *resolve_free(struct resolve *r)
{
        int state;

        if (!r)
                return NULL;
        state = sd_event_get_state(r->event);
        if (r->child && !r->exited && state >= 0 && state != SD_EVENT_FINISHED) {
                /* Waiting for the killed child here could hold the loop (an NSS module stuck on
                 * a hung mount): it is reaped from the loop, and r freed then (on_reaped). */
                kill_child(r);
                r->canceled = true;
                r->cb = NULL;
                r->io = sd_event_source_disable_unref(r->io);
                r->timer = sd_event_source_disable_unref(r->timer);
                return NULL;
        }
        resolve_destroy(r);
        return NULL;
}

/* Reports once; the callback may free r. */
static void finish(struct resolve *r, int error)
{
        struct endpoint endpoints[RESOLVE_MAX_ENDPOINTS];
        resolve_done_t cb = r->cb;
        size_t n = 0;

        if (!cb)
                return;
        r->cb = NULL;
        r->io = sd_event_source_disable_unref(r->io);
        r->timer = sd_event_source_disable_unref(r->timer);
        if (error >= 0 &&
            resolve_parse_endpoints(r->buf, r->len, endpoints, ELEMENTSOF(endpoints), &n) < 0)
                error = -EBADMSG;
        if (error >= 0 && n == 0)
                error = r->failed ? -ENOENT : -EADDRNOTAVAIL;
        cb(r, endpoints, error < 0 ? 0 : n, error < 0 ? error : 0, r->userdata);
}

static void maybe_finish(struct resolve *r)
{
        if (r->eof && r->exited && !r->child)
                finish(r, 0);
}

static int on_output(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        struct resolve *r = userdata;
        ssize_t k;

        for (;;) {
                if (r->len == sizeof(r->buf)) {
                        kill_child(r);
                        finish(r, -EMSGSIZE);
                        return 0;
                }
                k = read(fd, r->buf + r->len, sizeof(r->buf) - r->len);
                if (k > 0) {
                        r->len += (size_t)k;
                        continue;
                }
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0 && errno == EAGAIN)
                        return 0;
                break; /* end of file, or an error: what came is all there is */
        }
        r->eof = true;
        r->io = sd_event_source_disable_unref(r->io);
        maybe_finish(r);
        return 0;
}

static int on_reaped(sd_event_source *s, void *userdata)
{
        struct resolve *r = userdata;

        r->reaped = sd_event_source_disable_unref(r->reaped);
        r->child = sd_event_source_unref(r->child); /* reaped already: nothing is killed */
        if (r->canceled)
                resolve_destroy(r);
        else
                maybe_finish(r);
        return 0;
}

static int on_child_exit(sd_event_source *s, const siginfo_t *si, void *userdata)
{
        struct resolve *r = userdata;

        r->failed = si->si_code != CLD_EXITED || si->si_status != 0;
        r->exited = true;
        /* sd-event reaps the child once this returns: the rest waits for a fresh dispatch. */
        return sd_event_add_defer(r->event, &r->reaped, on_reaped, r);
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct resolve *r = userdata;

        kill_child(r);
        finish(r, -ETIMEDOUT);
        return 0;
}

int resolve_start(sd_event *e, const struct resolve_request *req, resolve_done_t cb, void *userdata,
                  struct resolve **ret)
{
        _cleanup_(resolve_freep) struct resolve *r = zalloc(sizeof(*r));
        pid_t pid, parent = getpid();
        int fds[2], k;

        if (!r)
                return -ENOMEM;
        r->fd = -1;
        r->event = sd_event_ref(e);
        r->cb = cb;
        r->userdata = userdata;
        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        r->fd = fds[0];
        pid = fork();
        if (pid < 0) {
                k = -errno;
                close(fds[1]);
                return k;
        }
        if (pid == 0) {
                forked_from = r;
                child_main(req, fds[1], parent);
        }
        close(fds[1]);
        k = sd_event_add_child(e, &r->child, pid, WEXITED, on_child_exit, r);
        if (k < 0) {
                (void)kill(pid, SIGKILL);
                (void)waitpid(pid, NULL, 0);
                return k;
        }
        k = sd_event_source_set_child_process_own(r->child, true);
        if (k >= 0 && fcntl(r->fd, F_SETFL, O_NONBLOCK) < 0)
                k = -errno;
        if (k >= 0)
                k = sd_event_add_io(e, &r->io, r->fd, EPOLLIN, on_output, r);
        if (k >= 0)
                k = sd_event_add_time_relative(e, &r->timer, CLOCK_MONOTONIC, req->timeout,
                                               10 * USEC_PER_MSEC, on_timeout, r);
        if (k < 0)
                return k;
        *ret = TAKE_PTR(r);
        return 0;
}
