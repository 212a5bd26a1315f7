/* privilege: gives up root after the listeners are bound (house rule 14). */
#ifndef TERN_PRIVILEGE_H
#define TERN_PRIVILEGE_H

/* If the process runs as root, makes it run as the system user `user` (its uid, primary gid
 * and supplementary groups), after handing it the directories in keep_owned (NULL-terminated;
 * they must exist), with the files directly in them, so it can still use them. Returns 0, or -1 with errno (ENOENT: no such
 * user). Not root: does nothing and returns 0. */
int privilege_drop(const char *user, const char *const *keep_owned);

#endif
