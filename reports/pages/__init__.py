"""Report pages, each declared once (cards, charts, tables as metric ids): the view, the
CSV/XLSX exports and the weekly e-mail render the same declaration from one compute() result."""
