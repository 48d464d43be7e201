"""The outputs, together: each turns one :class:`~tbreport.select.Selection` into a file.

- :mod:`~tbreport.report.html`: the offline HTML report (:func:`build_report`);
- :mod:`~tbreport.report.comparison`: its run table (runs x hparams x metrics), also
  used by the summaries;
- :mod:`~tbreport.report.summary`: the data the markdown summary and the e-mail share;
- :mod:`~tbreport.report.markdown`: the markdown summary (``--summary-md``);
- :mod:`~tbreport.report.mail`: the e-mail (MIME); :mod:`~tbreport.report.smtp` sends it;
- :mod:`~tbreport.report.gates`: the ``--fail-if`` metric gates;
- :mod:`~tbreport.report.output`: the one way every output file is written.

Nothing is imported here, so importing one output does not import the others.
"""
