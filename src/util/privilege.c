/* privilege: setgroups/setgid/setuid to an unprivileged user, in that order (groups first:
 * once the uid is gone they can no longer be changed), then a check that root cannot be
 * regained. The spool (directory and files) is chowned first so the daemon can go on using it. */
#include "util/privilege.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

/* chowns a directory and the entries directly in it. */
static int hand_over(const char *path, uid_t uid, gid_t gid)
{
	DIR *directory = opendir(path);
	struct dirent *entry;
	int result = 0;

	if (directory == NULL || fchown(dirfd(directory), uid, gid) != 0)
		result = -1;
	while (result == 0 && (entry = readdir(directory)) != NULL)
		if (entry->d_name[0] != '.' || (entry->d_name[1] != '\0' && entry->d_name[1] != '.'))
			result = fchownat(dirfd(directory), entry->d_name, uid, gid, AT_SYMLINK_NOFOLLOW);
	if (directory != NULL)
		closedir(directory);
	return result;
}

int privilege_drop(const char *user, const char *const *keep_owned)
{
	struct passwd *account;

	if (geteuid() != 0)
		return 0;
	errno = 0;
	if ((account = getpwnam(user)) == NULL) {
		if (errno == 0)
			errno = ENOENT;
		return -1;
	}
	for (const char *const *path = keep_owned; path && *path; path++)
		if (hand_over(*path, account->pw_uid, account->pw_gid) != 0)
			return -1;
	if (initgroups(account->pw_name, account->pw_gid) != 0 || setgid(account->pw_gid) != 0 ||
	    setuid(account->pw_uid) != 0)
		return -1;
	if (account->pw_uid != 0 && setuid(0) == 0) { /* must be impossible now */
		errno = EPERM;
		return -1;
	}
	return 0;
}
