/* tern_commands: the subcommands of the `tern` program, one file each (tern_NAME.c). Each
 * takes the arguments after its name (argv[0] is the subcommand name) and returns the exit
 * status. */
#ifndef TERN_COMMANDS_H
#define TERN_COMMANDS_H

int tern_passwd(int argc, char **argv);   /* print a crypt(3) hash for a password */
int tern_sendmail(int argc, char **argv); /* sendmail(8) command line: submit a message */
int tern_policy(int argc, char **argv);   /* what ternd would answer a client, and why */
int tern_queue(int argc, char **argv);    /* what waits in the spool and why; flush, hold, delete */
int tern_route(int argc, char **argv);    /* where mail for a domain goes: MX hosts, addresses */
int tern_dkim(int argc, char **argv);     /* DKIM keys with their DNS records; signing */
int tern_check(int argc, char **argv);    /* deliverability doctor: a domain, a sending IP */
int tern_spf(int argc, char **argv);      /* the SPF result for a client, and why */
int tern_auth(int argc, char **argv);     /* the Authentication-Results ternd would add */

/* --resolver ADDR[:PORT] is every command's option: tern.c takes it out of the arguments,
 * wherever it stands, into $TERN_RESOLVER, and this returns it (NULL: the system's resolver,
 * or the config's). */
const char *tern_resolver(void);

#endif
