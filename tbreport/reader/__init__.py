"""Reading TensorBoard logdirs into :mod:`tbreport.model` (``tbreport.load``).

- :mod:`~tbreport.reader.discover`: which directories are runs;
- :mod:`~tbreport.reader.fast`: vectorised framing, CRC checks and scalar decoding;
- :mod:`~tbreport.reader.events`: one event file -> records, never raising for damage;
- :mod:`~tbreport.reader.load`: records -> :class:`~tbreport.model.Logdir`, using each
  kind's ``decode`` function (``tbreport/kinds/*.py``).
"""
