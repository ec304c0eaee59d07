/* nosymbol.c - a shared library that is not a dapt plugin: it exports no
 * descriptor. */
int nosymbol_answer(void);
int nosymbol_answer(void)
{
    return 42;
}
