/* SPDX-License-Identifier: MIT */
/* Replays every file of a corpus directory through LLVMFuzzerTestOneInput (no libFuzzer). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
        struct dirent *de;
        unsigned n = 0;
        DIR *dir;

        if (argc != 2)
                return 2;
        dir = opendir(argv[1]);
        if (!dir) {
                perror(argv[1]);
                return 1;
        }
        while ((de = readdir(dir))) {
                char path[4096];
                uint8_t *buf;
                long len;
                FILE *f;

                if (de->d_name[0] == '.')
                        continue;
                snprintf(path, sizeof(path), "%s/%s", argv[1], de->d_name);
                f = fopen(path, "rb");
                if (!f)
                        continue;
                fseek(f, 0, SEEK_END);
                len = ftell(f);
                fseek(f, 0, SEEK_SET);
                buf = malloc(len > 0 ? (size_t)len : 1);
                if (buf && fread(buf, 1, (size_t)len, f) == (size_t)len)
                        LLVMFuzzerTestOneInput(buf, (size_t)len);
                free(buf);
                fclose(f);
                n++;
        }
        closedir(dir);
        printf("replayed %u inputs\n", n);
        return n > 0 ? 0 : 1;
}
