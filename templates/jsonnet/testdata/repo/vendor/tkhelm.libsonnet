// A library written for Tanka, which registers native functions.
{
  template(name, chart):: std.native('helmTemplate')(name, chart, {}),
}
