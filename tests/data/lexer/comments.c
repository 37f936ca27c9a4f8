/* A block comment naming GFP_NOFS,
 * spanning lines: GFP_NOIO
 * and ending here */ int after_block = GFP_NOFS;
/**/ int right_after_an_empty_comment = GFP_NOFS;
/***/ int stars = GFP_NOFS; /* ** GFP_NOIO **/ int more = GFP_NOIO;
/* a slash and stars inside: / * / ** GFP_NOFS */
// a line comment with GFP_NOFS
// a line comment continued by a backslash \
   GFP_NOFS is still in it \
   and GFP_NOIO on the third line
int back_in_code = GFP_NOFS; // and a comment after code, GFP_NOIO
// a comment ending in two backslashes: the first escapes the second \\
int GFP_NOFS_read_as_code = GFP_NOFS; /* by every scanner (a compiler would splice the line) */
int division = a / b / GFP_NOFS; /* a division is no comment */
int slash_star = "/*" GFP_NOFS "*/";
const char *close_in_string = "*/ GFP_NOFS";
const char *line_in_string = "// GFP_NOIO" GFP_NOFS;
/* "a quote in a comment GFP_NOFS */ int quote_after = GFP_NOIO; /* ' */
// "a quote in a line comment GFP_NOFS
int code_after_the_quoted_comment = GFP_NOFS;
/* // a line comment inside a block one GFP_NOFS */ int after_nested = GFP_NOIO;
