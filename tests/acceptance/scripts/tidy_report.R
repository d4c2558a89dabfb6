# R's common set at work: a dplyr pipeline and a ggplot2 chart, an R Markdown
# document rendered to HTML (knitr, pandoc), and Python's NumPy through
# reticulate (the default environment's Python). Args: WORKDIR PYTHON. Prints one line per check.
args <- commandArgs(trailingOnly = TRUE)
work <- args[[1]]
python <- args[[2]]
suppressPackageStartupMessages({
  library(dplyr)
  library(ggplot2)
  library(rmarkdown)
  library(shiny)
  library(devtools)
  library(reticulate)
})
by_cyl <- mtcars |>
  group_by(cyl) |>
  summarise(n = n(), mpg = mean(mpg), .groups = "drop") |>
  arrange(cyl)
cat("DPLYR", paste(by_cyl$cyl, by_cyl$n, sep = ":", collapse = ","), "\n")
chart <- ggplot(mtcars, aes(wt, mpg, colour = factor(cyl))) + geom_point() + geom_smooth(method = "lm", formula = y ~ x)
png_path <- file.path(work, "chart.png")
ggsave(png_path, chart, width = 5, height = 4, dpi = 72)
cat("GGPLOT", file.size(png_path), "\n")
rmd <- file.path(work, "report.Rmd")
writeLines(c(
  "---", "title: \"DSVM report\"", "output: html_document", "---", "",
  "```{r}", "fit <- lm(mpg ~ wt, data = mtcars)", "```", "",
  "The slope is `r round(coef(fit)[['wt']], 3)`."
), rmd)
html <- render(rmd, quiet = TRUE)
cat("RMARKDOWN", grepl("The slope is -5.344", paste(readLines(html), collapse = "\n"), fixed = TRUE), "\n")
use_python(python, required = TRUE)
# NumPy runs in Python and hands back a plain int: Debian 12's reticulate
# (1.28) cannot convert NumPy 2's arrays (its C stack check fails).
py_run_string("import numpy; total = int(numpy.arange(10).sum())")
cat("RETICULATE", py$total, "\n")
