/* SPDX-License-Identifier: MIT */
/*
 * Finding the server without blocking the loop (RFC 6120 section 3.2). A forked child looks up
 * the SRV records of _xmpp-client._tcp.DOMAIN (_xmpps-client for direct TLS) and the addresses
 * of their targets, or of DOMAIN itself on the default port when there are none, or of the
 * configured host only, using the C library's resolver (so nsswitch and /etc/hosts apply). It
 * writes "ADDRESS PORT" lines (agent/child-call.c: read by the loop, the child killed when it
 * takes longer than the request's timeout).
 */
#include "resolve.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <fcntl.h>
#include <netdb.h>
#include <resolv.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "child-call.h"

struct resolve {
        struct child_call *call;
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

/* ---- The loop's side ---- */

static int run_lookup(const void *arg, int fd)
{
        const struct resolve_request *req = arg;

        return (req->lookup ?: lookup_default)(req, fd);
}

struct resolve *resolve_free(struct resolve *r)
{
        if (r) {
                child_call_free(r->call);
                free(r);
        }
        return NULL;
}

/* The callback may free r. */
static void on_answer(struct child_call *c, const char *output, size_t len, int error,
                      void *userdata)
{
        struct endpoint endpoints[RESOLVE_MAX_ENDPOINTS];
        struct resolve *r = userdata;
        size_t n = 0;

        if ((error >= 0 || error == -EIO) &&
            resolve_parse_endpoints(output, len, endpoints, ELEMENTSOF(endpoints), &n) < 0) {
                error = -EBADMSG;
                n = 0;
        }
        r->call = child_call_free(r->call); /* output is gone with it */
        /* A lookup that failed after finding addresses still found them. */
        if (n > 0)
                error = 0;
        else if (error == -EIO)
                error = -ENOENT;
        else if (error >= 0)
                error = -EADDRNOTAVAIL;
        r->cb(r, endpoints, n, error, r->userdata);
}

int resolve_start(sd_event *e, const struct resolve_request *req, resolve_done_t cb, void *userdata,
                  struct resolve **ret)
{
        _cleanup_(resolve_freep) struct resolve *r = zalloc(sizeof(*r));
        int k;

        if (!r)
                return -ENOMEM;
        r->cb = cb;
        r->userdata = userdata;
        k = child_call_start(e, run_lookup, req, req->timeout, on_answer, r, &r->call);
        if (k < 0)
                return k;
        *ret = TAKE_PTR(r);
        return 0;
}
