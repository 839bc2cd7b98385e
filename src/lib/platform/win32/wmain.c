/*
 * The Windows entry point: the command line as UTF-16 (wmain), handed to
 * portscope's main() as UTF-8, so that file names and arguments in any script
 * survive; main.c is built as portscope_main() for Windows.
 */
#include <windows.h>
#include <stdlib.h>
#include <wchar.h>

int portscope_main(int argc, char **argv);
int wmain(int argc, wchar_t **wargv);

int wmain(int argc, wchar_t **wargv)
{
	char **argv = calloc((size_t)argc + 1, sizeof(*argv));

	if (!argv)
		return 3;
	for (int i = 0; i < argc; i++) {
		int n = WideCharToMultiByte(CP_UTF8, 0, wargv[i], -1, NULL, 0, NULL, NULL);

		argv[i] = malloc(n > 0 ? (size_t)n : 1);
		if (!argv[i])
			return 3;
		argv[i][0] = '\0';
		if (n > 0)
			WideCharToMultiByte(CP_UTF8, 0, wargv[i], -1, argv[i], n, NULL, NULL);
	}
	return portscope_main(argc, argv);
}
