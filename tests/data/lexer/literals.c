static const char *a = "GFP_NOFS";
static const char *b = "say \"GFP_NOIO\" twice", *c = GFP_NOFS;
static const char *d = "a backslash before the quote \\", *e = GFP_NOFS;
static const char *f = "\\\" still GFP_NOFS in the string", *g = GFP_NOIO;
static const char *h = "an unterminated string GFP_NOFS
int back_in_code_after_the_newline = GFP_NOFS;
static const char *i = "a string continued \
   by a backslash GFP_NOIO";
int after_the_continued_string = GFP_NOFS;
static const char dq = '"', after_dq = GFP_NOFS;
static const char sq = '\'', after_sq = GFP_NOIO;
static const char bs = '\\', after_bs = GFP_NOFS;
static const char *mixed = "'" GFP_NOFS "'";
int char_unterminated = 'GFP_NOFS
int after_the_char = GFP_NOIO;
static const wchar_t *w = L"GFP_NOFS", *u8 = u8"GFP_NOIO";
