/*
 * -oX where the build has no libxml2 (Windows): the format is listed, without
 * callbacks, and its help says why; scan and show refuse it with that line.
 */
#include "output/out.h"

const struct out_format out_xml = {
    .name = "xml",
    .flag = "-oX",
    .ext = ".xml",
    .help = "nmap XML: not in the Windows build (no libxml2); use -oJ, -oN or -oG",
};
