/* SPDX-License-Identifier: MIT */
/*
 * The I/O half of the policy: reads the main file, its includes and the password file, then
 * hands the parsed documents to the pure policy_from_ynodes().
 */
#include <fcntl.h>
#include <glob.h>
#include <libgen.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy-internal.h"

#define PASSWORD_MAX 4096

struct loaded {
        struct ynode **docs;
        dev_t *dev;
        ino_t *ino;
        size_t n;
};

static void loaded_done(struct loaded *l)
{
        for (size_t i = 0; i < l->n; i++)
                ynode_free(l->docs[i]);
        free(l->docs);
        free(l->dev);
        free(l->ino);
        *l = (struct loaded){0};
}

static void closep(int *fd)
{
        if (*fd >= 0)
                close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

/* Reads at most max bytes (one more tells the parser that the file is too large). */
static int read_fd(int fd, size_t max, char **ret, size_t *ret_len)
{
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;

        buf = malloc(max + 2);
        if (!buf)
                return -ENOMEM;
        while (len <= max) {
                ssize_t k = read(fd, buf + len, max + 1 - len);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        break;
                len += (size_t)k;
        }
        buf[len] = 0;
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

static int open_regular(const char *path, struct stat *st)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

        if (fd < 0)
                return -errno;
        if (fstat(fd, st) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        if (S_ISDIR(st->st_mode) || !S_ISREG(st->st_mode)) {
                close(fd);
                return S_ISDIR(st->st_mode) ? -EISDIR : -EINVAL;
        }
        return fd;
}

static bool already_loaded(const struct loaded *l, const struct stat *st)
{
        for (size_t i = 0; i < l->n; i++)
                if (l->dev[i] == st->st_dev && l->ino[i] == st->st_ino)
                        return true;
        return false;
}

static int loaded_add(struct loaded *l, struct ynode *doc, const struct stat *st)
{
        struct ynode **docs;
        dev_t *dev;
        ino_t *ino;

        docs = reallocarray(l->docs, l->n + 1, sizeof(*docs));
        if (docs)
                l->docs = docs;
        dev = reallocarray(l->dev, l->n + 1, sizeof(*dev));
        if (dev)
                l->dev = dev;
        ino = reallocarray(l->ino, l->n + 1, sizeof(*ino));
        if (ino)
                l->ino = ino;
        if (!docs || !dev || !ino) {
                ynode_free(doc);
                return -ENOMEM;
        }
        l->docs[l->n] = doc;
        l->dev[l->n] = st->st_dev;
        l->ino[l->n] = st->st_ino;
        l->n++;
        return 0;
}

/* Reads and parses path; an I/O error is reported at where (or at the file itself). */
static int load_doc(struct loaded *l, const char *path, const struct ynode *where, struct diags *d)
{
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        struct ynode *doc = NULL;
        struct stat st;
        size_t len;
        int r;

        fd = open_regular(path, &st);
        if (fd >= 0 && already_loaded(l, &st))
                return 0; /* a glob matching the main file, or two overlapping globs */
        r = fd < 0 ? fd : read_fd(fd, YNODE_MAX_SIZE, &buf, &len);
        if (r < 0 && where)
                return ynode_error(where, d, "cannot read included file '%s': %s", path,
                                   strerror(-r));
        if (r < 0)
                return r == -ENOMEM
                           ? r
                           : diags_add(d, DIAG_ERROR, path, 0, 0, "cannot read: %s", strerror(-r));
        r = ynode_parse(buf, len, path, &doc, d);
        if (r < 0)
                return r;
        return loaded_add(l, doc, &st);
}

static bool has_glob_chars(const char *s)
{
        return strpbrk(s, "*?[") != NULL;
}

static char *path_join(const char *dir, const char *path)
{
        char *s;

        if (path[0] == '/')
                return strdup(path);
        if (asprintf(&s, "%s/%s", dir, path) < 0)
                return NULL;
        return s;
}

/* glob() reports errors through a callback without user data. */
static _Thread_local int glob_errno;

/* An empty directory is fine, a missing one is probably a typo and an error. ENOTDIR only
 * means that a wildcard matched a file where a directory was needed. */
static int glob_on_error(const char *path, int error)
{
        if (error == ENOTDIR)
                return 0;
        glob_errno = error;
        return 1;
}

static int load_glob(struct loaded *l, const char *pattern, const struct ynode *where,
                     struct diags *d)
{
        glob_t g = {0};
        int r = 0, k;

        glob_errno = 0;
        k = glob(pattern, 0, glob_on_error, &g);
        if (k == GLOB_NOSPACE)
                return -ENOMEM;
        if (k == GLOB_ABORTED) {
                globfree(&g);
                return ynode_error(where, d, "cannot read the files of include '%s': %s", pattern,
                                   strerror(glob_errno));
        }
        if (k != 0) {
                globfree(&g);
                return 0; /* GLOB_NOMATCH: an empty conf.d is fine */
        }
        /* glob() sorts its results: files are read in a stable, documented order. */
        for (size_t i = 0; i < g.gl_pathc; i++)
                r = diag_merge_error(r, load_doc(l, g.gl_pathv[i], where, d));
        globfree(&g);
        return r;
}

static int load_includes(struct loaded *l, const char *dir, struct diags *d)
{
        const struct ynode *inc = ynode_get(l->docs[0], "include");
        int r = 0;

        if (!inc)
                return 0;
        if (inc->type != YNODE_SEQ && inc->type != YNODE_SCALAR)
                return 0; /* reported by policy_from_ynodes() */
        for (size_t i = 0; i < (inc->type == YNODE_SEQ ? inc->n : 1); i++) {
                const struct ynode *item = inc->type == YNODE_SEQ ? inc->items[i] : inc;
                _cleanup_free_ char *path = NULL;

                if (item->type != YNODE_SCALAR || ynode_is_null(item))
                        continue;
                path = path_join(dir, item->scalar);
                if (!path)
                        return -ENOMEM;
                if (has_glob_chars(item->scalar))
                        r = diag_merge_error(r, load_glob(l, path, item, d));
                else
                        r = diag_merge_error(r, load_doc(l, path, item, d));
        }
        return r;
}

/* The position of key in map, for messages about the key rather than its value. */
static const struct ynode *key_node(const struct ynode *map, const char *key)
{
        for (size_t i = 0; map && map->type == YNODE_MAP && i < map->n; i++)
                if (streq(map->keys[i]->scalar, key))
                        return map->keys[i];
        return NULL;
}

static int read_password(const char *path, const struct ynode *where, char **ret, struct diags *d)
{
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        size_t len;
        int r;

        fd = open_regular(path, &st);
        r = fd < 0 ? fd : read_fd(fd, PASSWORD_MAX, &buf, &len);
        if (r < 0)
                return r == -ENOMEM ? r
                                    : ynode_error(where, d, "cannot read password_file '%s': %s",
                                                  path, strerror(-r));
        if ((st.st_mode & 077) != 0)
                (void)ynode_warning(where, d,
                                    "password_file '%s' is readable by others (mode %04o); "
                                    "chmod 600 it",
                                    path, (unsigned)(st.st_mode & 07777));
        if (len > PASSWORD_MAX || memchr(buf, 0, len))
                r = ynode_error(where, d,
                                "password_file '%s' is not a password (too long or binary)", path);
        else if (len > 0 && buf[len - 1] == '\n')
                buf[--len] = 0; /* editors add one */
        if (r >= 0 && len == 0)
                r = ynode_error(where, d, "password_file '%s' is empty", path);
        if (r < 0) {
                explicit_bzero(buf, len);
                return r;
        }
        *ret = TAKE_PTR(buf);
        return 0;
}

static int load_password(struct policy *p, const struct ynode *root, const char *dir,
                         struct diags *d)
{
        const struct ynode *where = key_node(ynode_get(root, "account"), "password_file");
        _cleanup_free_ char *path = NULL;
        int r;

        if (!p->account.password_file || !where)
                return 0;
        path = path_join(dir, p->account.password_file);
        if (!path)
                return -ENOMEM;
        r = read_password(path, where, &p->account.password, d);
        if (r < 0)
                return r;
        free(p->account.password_file);
        p->account.password_file = TAKE_PTR(path);
        return 0;
}

static char *dir_of(const char *path)
{
        _cleanup_free_ char *copy = strdup(path);

        if (!copy)
                return NULL;
        return strdup(dirname(copy));
}

int policy_load(const char *path, struct policy **ret, struct diags *d)
{
        _cleanup_(loaded_done) struct loaded l = {0};
        _cleanup_(policy_freep) struct policy *p = NULL;
        _cleanup_free_ char *dir = NULL;
        size_t n_errors = d->n_errors;
        int r;

        dir = dir_of(path);
        if (!dir)
                return -ENOMEM;
        r = load_doc(&l, path, NULL, d);
        if (r < 0)
                return r;
        r = load_includes(&l, dir, d);
        r = diag_merge_error(r,
                             policy_from_ynodes((const struct ynode *const *)l.docs, l.n, &p, d));
        if (p)
                r = diag_merge_error(r, load_password(p, l.docs[0], dir, d));
        if (r == -ENOMEM)
                return r;
        if (r < 0 || d->n_errors > n_errors)
                return -EINVAL;
        *ret = TAKE_PTR(p);
        return 0;
}
