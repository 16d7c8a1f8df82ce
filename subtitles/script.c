/* Scripts: code point classes, the script of a language tag, default fonts.
 *
 * The default font per script is a Noto family from Debian's fonts-noto-core and
 * fonts-noto-cjk. "Noto Sans" covers Latin, Greek and Cyrillic. */
#include "clsub_internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *clsub_script_name(clsub_script s)
{
    switch (s) {
    case CLSUB_SCRIPT_COMMON: return "common";
    case CLSUB_SCRIPT_LATIN: return "latin";
    case CLSUB_SCRIPT_ARABIC: return "arabic";
    case CLSUB_SCRIPT_HEBREW: return "hebrew";
    case CLSUB_SCRIPT_GEORGIAN: return "georgian";
    case CLSUB_SCRIPT_ARMENIAN: return "armenian";
    case CLSUB_SCRIPT_THAI: return "thai";
    case CLSUB_SCRIPT_DEVANAGARI: return "devanagari";
    case CLSUB_SCRIPT_HAN: return "han";
    case CLSUB_SCRIPT_KANA: return "kana";
    case CLSUB_SCRIPT_HANGUL: return "hangul";
    default: return "other";
    }
}

uint32_t clsub_utf8_next(const char **sp, const char *end)
{
    const unsigned char *s = (const unsigned char *)*sp;
    size_t avail = (size_t)(end - *sp);
    uint32_t c = s[0];
    size_t n;
    uint32_t min;
    if (c < 0x80) {
        *sp += 1;
        return c;
    } else if ((c & 0xE0) == 0xC0) {
        n = 2, c &= 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3, c &= 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4, c &= 0x07, min = 0x10000;
    } else {
        *sp += 1;
        return 0xFFFD;
    }
    if (avail < n) {
        *sp += 1;
        return 0xFFFD;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *sp += 1;
            return 0xFFFD;
        }
        c = (c << 6) | (s[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
        *sp += 1;
        return 0xFFFD;
    }
    *sp += n;
    return c;
}

int clsub_cp_bidi_control(uint32_t cp)
{
    return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

int clsub_cp_invisible(uint32_t cp)
{
    if (cp <= 0x20 || (cp >= 0x7F && cp <= 0xA0))
        return 1;
    if (cp == 0x00AD || cp == 0x034F || cp == 0x061C || cp == 0x180E || cp == 0x3000 ||
        cp == 0xFEFF || cp == 0x1680)
        return 1;
    if ((cp >= 0x2000 && cp <= 0x200F) || (cp >= 0x2028 && cp <= 0x202F) ||
        (cp >= 0x205F && cp <= 0x206F))
        return 1;
    if ((cp >= 0xFE00 && cp <= 0xFE0F) || (cp >= 0xE0100 && cp <= 0xE01EF) ||
        (cp >= 0xE0000 && cp <= 0xE007F))
        return 1;
    return 0;
}

int clsub_cp_mark(uint32_t cp)
{
    static const uint32_t ranges[][2] = {
        {0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD}, {0x05BF, 0x05C7},
        {0x0610, 0x061A}, {0x064B, 0x065F}, {0x0670, 0x0670}, {0x06D6, 0x06ED},
        {0x0900, 0x0903}, {0x093A, 0x094F}, {0x0951, 0x0957}, {0x0962, 0x0963},
        {0x0E31, 0x0E31}, {0x0E34, 0x0E3A}, {0x0E47, 0x0E4E}, {0x1AB0, 0x1AFF},
        {0x1DC0, 0x1DFF}, {0x20D0, 0x20FF}, {0x302A, 0x302F}, {0x3099, 0x309A},
        {0xFE20, 0xFE2F},
    };
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
        if (cp >= ranges[i][0] && cp <= ranges[i][1])
            return 1;
    return 0;
}

clsub_script clsub_script_of(uint32_t cp)
{
    static const struct { uint32_t lo, hi; clsub_script s; } ranges[] = {
        {0x0041, 0x005A, CLSUB_SCRIPT_LATIN}, {0x0061, 0x007A, CLSUB_SCRIPT_LATIN},
        {0x00C0, 0x024F, CLSUB_SCRIPT_LATIN}, {0x0250, 0x02AF, CLSUB_SCRIPT_LATIN},
        {0x0370, 0x03FF, CLSUB_SCRIPT_LATIN}, {0x0400, 0x052F, CLSUB_SCRIPT_LATIN},
        {0x0530, 0x058F, CLSUB_SCRIPT_ARMENIAN}, {0x0590, 0x05FF, CLSUB_SCRIPT_HEBREW},
        {0x0600, 0x06FF, CLSUB_SCRIPT_ARABIC}, {0x0750, 0x077F, CLSUB_SCRIPT_ARABIC},
        {0x08A0, 0x08FF, CLSUB_SCRIPT_ARABIC}, {0x0900, 0x097F, CLSUB_SCRIPT_DEVANAGARI},
        {0x0E00, 0x0E7F, CLSUB_SCRIPT_THAI}, {0x10A0, 0x10FF, CLSUB_SCRIPT_GEORGIAN},
        {0x1100, 0x11FF, CLSUB_SCRIPT_HANGUL}, {0x1C80, 0x1C8F, CLSUB_SCRIPT_LATIN},
        {0x1C90, 0x1CBF, CLSUB_SCRIPT_GEORGIAN}, {0x1E00, 0x1FFF, CLSUB_SCRIPT_LATIN},
        {0x2D00, 0x2D2F, CLSUB_SCRIPT_GEORGIAN}, {0x2E80, 0x2FDF, CLSUB_SCRIPT_HAN},
        {0x3005, 0x3007, CLSUB_SCRIPT_HAN}, {0x3040, 0x30FF, CLSUB_SCRIPT_KANA},
        {0x3130, 0x318F, CLSUB_SCRIPT_HANGUL}, {0x31F0, 0x31FF, CLSUB_SCRIPT_KANA},
        {0x3400, 0x4DBF, CLSUB_SCRIPT_HAN}, {0x4E00, 0x9FFF, CLSUB_SCRIPT_HAN},
        {0xA960, 0xA97F, CLSUB_SCRIPT_HANGUL}, {0xAC00, 0xD7FF, CLSUB_SCRIPT_HANGUL},
        {0xF900, 0xFAFF, CLSUB_SCRIPT_HAN}, {0xFB1D, 0xFB4F, CLSUB_SCRIPT_HEBREW},
        {0xFB50, 0xFDFF, CLSUB_SCRIPT_ARABIC}, {0xFE70, 0xFEFE, CLSUB_SCRIPT_ARABIC},
        {0xFF21, 0xFF3A, CLSUB_SCRIPT_LATIN}, {0xFF41, 0xFF5A, CLSUB_SCRIPT_LATIN},
        {0xFF66, 0xFF9F, CLSUB_SCRIPT_KANA}, {0xFFA0, 0xFFDC, CLSUB_SCRIPT_HANGUL},
        {0x20000, 0x3FFFF, CLSUB_SCRIPT_HAN},
    };
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
        if (cp >= ranges[i].lo && cp <= ranges[i].hi)
            return ranges[i].s;
    if (cp < 0x0370 || (cp >= 0x2000 && cp <= 0x2E7F) || (cp >= 0x3000 && cp <= 0x303F) ||
        (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFFEF) ||
        (cp >= 0x1F000 && cp <= 0x1FAFF))
        return CLSUB_SCRIPT_COMMON;
    return CLSUB_SCRIPT_OTHER;
}

/* Copy subtag number `idx` (0-based) of a BCP-47 tag into buf, lowercased. */
static int subtag(const char *lang, int idx, char *buf, size_t size)
{
    const char *p = lang;
    for (int i = 0; i < idx; i++) {
        p = strpbrk(p, "-_");
        if (!p)
            return 0;
        p++;
    }
    size_t n = strcspn(p, "-_");
    if (n == 0 || n >= size)
        return 0;
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)tolower((unsigned char)p[i]);
    buf[n] = '\0';
    return 1;
}

static const struct { const char *name; clsub_script s; } script_subtags[] = {
    {"latn", CLSUB_SCRIPT_LATIN}, {"grek", CLSUB_SCRIPT_LATIN}, {"cyrl", CLSUB_SCRIPT_LATIN},
    {"arab", CLSUB_SCRIPT_ARABIC}, {"hebr", CLSUB_SCRIPT_HEBREW}, {"geor", CLSUB_SCRIPT_GEORGIAN},
    {"armn", CLSUB_SCRIPT_ARMENIAN}, {"thai", CLSUB_SCRIPT_THAI}, {"deva", CLSUB_SCRIPT_DEVANAGARI},
    {"hans", CLSUB_SCRIPT_HAN}, {"hant", CLSUB_SCRIPT_HAN}, {"hani", CLSUB_SCRIPT_HAN},
    {"jpan", CLSUB_SCRIPT_KANA}, {"kore", CLSUB_SCRIPT_HANGUL}, {"hang", CLSUB_SCRIPT_HANGUL},
};

static const struct { const char *lang; clsub_script s; } lang_scripts[] = {
    {"ar", CLSUB_SCRIPT_ARABIC}, {"fa", CLSUB_SCRIPT_ARABIC}, {"ur", CLSUB_SCRIPT_ARABIC},
    {"ps", CLSUB_SCRIPT_ARABIC}, {"ckb", CLSUB_SCRIPT_ARABIC}, {"he", CLSUB_SCRIPT_HEBREW},
    {"iw", CLSUB_SCRIPT_HEBREW}, {"yi", CLSUB_SCRIPT_HEBREW}, {"ka", CLSUB_SCRIPT_GEORGIAN},
    {"hy", CLSUB_SCRIPT_ARMENIAN}, {"th", CLSUB_SCRIPT_THAI}, {"hi", CLSUB_SCRIPT_DEVANAGARI},
    {"mr", CLSUB_SCRIPT_DEVANAGARI}, {"ne", CLSUB_SCRIPT_DEVANAGARI}, {"zh", CLSUB_SCRIPT_HAN},
    {"yue", CLSUB_SCRIPT_HAN}, {"ja", CLSUB_SCRIPT_KANA}, {"ko", CLSUB_SCRIPT_HANGUL},
};

clsub_script clsub_language_script(const char *lang)
{
    char tag[16];
    if (!lang || !*lang)
        return CLSUB_SCRIPT_COMMON;
    for (int i = 1; i < 3; i++) /* a script subtag wins: sr-Latn, az-Arab, zh-Hant */
        if (subtag(lang, i, tag, sizeof tag) && strlen(tag) == 4)
            for (size_t j = 0; j < sizeof script_subtags / sizeof script_subtags[0]; j++)
                if (!strcmp(tag, script_subtags[j].name))
                    return script_subtags[j].s;
    if (!subtag(lang, 0, tag, sizeof tag) || !strcmp(tag, "und"))
        return CLSUB_SCRIPT_COMMON;
    for (size_t j = 0; j < sizeof lang_scripts / sizeof lang_scripts[0]; j++)
        if (!strcmp(tag, lang_scripts[j].lang))
            return lang_scripts[j].s;
    return CLSUB_SCRIPT_LATIN;
}

/* Traditional Chinese: zh-Hant, zh-TW, zh-HK, zh-MO (and yue). */
static int chinese_traditional(const char *lang)
{
    char tag[16];
    for (int i = 0; i < 3; i++) {
        if (!subtag(lang, i, tag, sizeof tag))
            break;
        if (!strcmp(tag, "hant") || !strcmp(tag, "tw") || !strcmp(tag, "hk") ||
            !strcmp(tag, "mo") || !strcmp(tag, "yue"))
            return 1;
        if (!strcmp(tag, "hans"))
            return 0;
    }
    return 0;
}

const char *clsub_script_family(clsub_script s)
{
    switch (s) {
    case CLSUB_SCRIPT_ARABIC: return "Noto Sans Arabic";
    case CLSUB_SCRIPT_HEBREW: return "Noto Sans Hebrew";
    case CLSUB_SCRIPT_GEORGIAN: return "Noto Sans Georgian";
    case CLSUB_SCRIPT_ARMENIAN: return "Noto Sans Armenian";
    case CLSUB_SCRIPT_THAI: return "Noto Sans Thai";
    case CLSUB_SCRIPT_DEVANAGARI: return "Noto Sans Devanagari";
    case CLSUB_SCRIPT_HAN: return "Noto Sans CJK SC";
    case CLSUB_SCRIPT_KANA: return "Noto Sans CJK JP";
    case CLSUB_SCRIPT_HANGUL: return "Noto Sans CJK KR";
    default: return "Noto Sans";
    }
}

const char *clsub_default_font_family(const char *lang)
{
    char first[16] = "";
    if (lang)
        subtag(lang, 0, first, sizeof first);
    switch (clsub_language_script(lang)) {
    case CLSUB_SCRIPT_ARABIC: return "Noto Sans Arabic";
    case CLSUB_SCRIPT_HEBREW: return "Noto Sans Hebrew";
    case CLSUB_SCRIPT_GEORGIAN: return "Noto Sans Georgian";
    case CLSUB_SCRIPT_ARMENIAN: return "Noto Sans Armenian";
    case CLSUB_SCRIPT_THAI: return "Noto Sans Thai";
    case CLSUB_SCRIPT_DEVANAGARI: return "Noto Sans Devanagari";
    case CLSUB_SCRIPT_KANA: return "Noto Sans CJK JP";
    case CLSUB_SCRIPT_HANGUL: return "Noto Sans CJK KR";
    case CLSUB_SCRIPT_HAN:
        if (!strcmp(first, "ja"))
            return "Noto Sans CJK JP";
        if (!strcmp(first, "ko"))
            return "Noto Sans CJK KR";
        return chinese_traditional(lang) ? "Noto Sans CJK TC" : "Noto Sans CJK SC";
    default: return "Noto Sans";
    }
}

clsub_script clsub_track_main_script(const clsub_track *track)
{
    size_t count[CLSUB_SCRIPT_OTHER + 1] = {0};
    for (size_t i = 0; track && i < track->n_cues; i++) {
        const char *s = track->cues[i].text, *end = s + strlen(s);
        int in_tag = 0;
        while (s < end) {
            uint32_t cp = clsub_utf8_next(&s, end);
            if (cp == '<' || cp == '>')
                in_tag = cp == '<';
            else if (!in_tag)
                count[clsub_script_of(cp)]++;
        }
    }
    clsub_script best = CLSUB_SCRIPT_COMMON;
    size_t best_n = 0;
    for (int s = CLSUB_SCRIPT_LATIN; s <= CLSUB_SCRIPT_OTHER; s++)
        if (count[s] > best_n) {
            best_n = count[s];
            best = (clsub_script)s;
        }
    /* Japanese text mixes kana and kanji: any kana makes it Japanese. */
    if (best == CLSUB_SCRIPT_HAN && count[CLSUB_SCRIPT_KANA])
        best = CLSUB_SCRIPT_KANA;
    return best;
}

/* ISO 639-1 -> ISO 639-2/T and the language's own name, for the languages of
 * the toolkit's audiences and their neighbours. */
static const struct { const char *lang, *iso3, *name; } lang_names[] = {
    {"af", "afr", "Afrikaans"}, {"am", "amh", "አማርኛ"}, {"ar", "ara", "العربية"},
    {"az", "aze", "Azərbaycan"}, {"be", "bel", "Беларуская"}, {"bg", "bul", "Български"},
    {"bn", "ben", "বাংলা"}, {"bs", "bos", "Bosanski"}, {"ca", "cat", "Català"},
    {"cs", "ces", "Čeština"}, {"cy", "cym", "Cymraeg"}, {"da", "dan", "Dansk"},
    {"de", "deu", "Deutsch"}, {"el", "ell", "Ελληνικά"}, {"en", "eng", "English"},
    {"es", "spa", "Español"}, {"et", "est", "Eesti"}, {"fa", "fas", "فارسی"},
    {"fi", "fin", "Suomi"}, {"fil", "fil", "Filipino"}, {"fr", "fra", "Français"},
    {"ga", "gle", "Gaeilge"}, {"he", "heb", "עברית"}, {"hi", "hin", "हिन्दी"},
    {"hr", "hrv", "Hrvatski"}, {"hu", "hun", "Magyar"}, {"hy", "hye", "Հայերեն"},
    {"id", "ind", "Bahasa Indonesia"}, {"it", "ita", "Italiano"}, {"ja", "jpn", "日本語"},
    {"ka", "kat", "ქართული"}, {"kk", "kaz", "Қазақ"}, {"km", "khm", "ខ្មែរ"},
    {"ko", "kor", "한국어"}, {"ku", "kur", "Kurdî"}, {"ky", "kir", "Кыргызча"},
    {"lo", "lao", "ລາວ"}, {"lt", "lit", "Lietuvių"}, {"lv", "lav", "Latviešu"},
    {"mk", "mkd", "Македонски"}, {"mn", "mon", "Монгол"}, {"ms", "msa", "Bahasa Melayu"},
    {"mt", "mlt", "Malti"}, {"my", "mya", "မြန်မာ"}, {"ne", "nep", "नेपाली"},
    {"nl", "nld", "Nederlands"}, {"no", "nor", "Norsk"}, {"nb", "nob", "Norsk bokmål"},
    {"ny", "nya", "Chichewa"}, {"pl", "pol", "Polski"}, {"ps", "pus", "پښتو"},
    {"pt", "por", "Português"}, {"ro", "ron", "Română"}, {"ru", "rus", "Русский"},
    {"rw", "kin", "Kinyarwanda"}, {"si", "sin", "සිංහල"}, {"sk", "slk", "Slovenčina"},
    {"sl", "slv", "Slovenščina"}, {"sn", "sna", "chiShona"}, {"so", "som", "Soomaali"},
    {"sq", "sqi", "Shqip"}, {"sr", "srp", "Српски"}, {"st", "sot", "Sesotho"},
    {"sv", "swe", "Svenska"}, {"sw", "swa", "Kiswahili"}, {"ta", "tam", "தமிழ்"},
    {"tg", "tgk", "Тоҷикӣ"}, {"th", "tha", "ไทย"}, {"ti", "tir", "ትግርኛ"},
    {"tl", "tgl", "Tagalog"}, {"tn", "tsn", "Setswana"}, {"tr", "tur", "Türkçe"},
    {"uk", "ukr", "Українська"}, {"ur", "urd", "اردو"}, {"uz", "uzb", "Oʻzbek"},
    {"vi", "vie", "Tiếng Việt"}, {"xh", "xho", "isiXhosa"}, {"zh", "zho", "中文"},
    {"zu", "zul", "isiZulu"},
};

static int lang_index(const char *lang)
{
    char tag[16];
    if (!lang || !subtag(lang, 0, tag, sizeof tag))
        return -1;
    for (size_t j = 0; j < sizeof lang_names / sizeof lang_names[0]; j++)
        if (!strcmp(tag, lang_names[j].lang) || !strcmp(tag, lang_names[j].iso3))
            return (int)j;
    return -1;
}

const char *clsub_language_iso639_2(const char *lang)
{
    int i = lang_index(lang);
    return i < 0 ? "und" : lang_names[i].iso3;
}

const char *clsub_language_native_name(const char *lang)
{
    int i = lang_index(lang);
    if (i < 0)
        return NULL;
    if (!strcmp(lang_names[i].lang, "zh"))
        return chinese_traditional(lang) ? "中文（繁體）" : "中文（简体）";
    if (!strcmp(lang_names[i].lang, "pt")) {
        char region[16];
        if (subtag(lang, 1, region, sizeof region) && !strcmp(region, "br"))
            return "Português (Brasil)";
    }
    return lang_names[i].name;
}
