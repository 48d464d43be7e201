"""Drawing the report's sections: model data in, template data and chart images out.

- :mod:`~tbreport.render.base`: the build context, sections, parts, chart slots;
- :mod:`~tbreport.render.assets`: the templates' one jinja environment and inline assets;
- :mod:`~tbreport.render.charts`: drawing one chart spec (matplotlib, imported only there);
- :mod:`~tbreport.render.pool`: drawing every chart on every core;
- :mod:`~tbreport.render.lines`: line charts of scalar series (smoothing, y-range, bands);
- :mod:`~tbreport.render.colors`: one colour per run;
- :mod:`~tbreport.render.markdown`: markdown from logs, rendered and sanitised;
- :mod:`~tbreport.render.graphviz`: model graphs through Graphviz;
- ``<module>.py``: each kind's section builder, named in its registry entry
  (:data:`tbreport.kinds.KINDS`).

Nothing is imported here: the writer imports the kinds, never this package.
"""
