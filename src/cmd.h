/* One function per subcommand (git's builtin.h): each takes the arguments
 * after the subcommand name (argv[0] is the subcommand) and returns the
 * exit code. */
#ifndef MANDATE_CMD_H
#define MANDATE_CMD_H

int cmd_validate(int argc, char **argv);
int cmd_apply(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_render(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_run(int argc, char **argv);

#endif
