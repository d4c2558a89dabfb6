# Fits a linear model with data.table and caret (5-fold CV) on data with a
# known slope; prints "SLOPE <estimate> RSQ <cv R squared>".
suppressPackageStartupMessages({
  library(data.table)
  library(caret)
})
set.seed(42)
dt <- data.table(x = runif(500, 0, 10))
dt[, y := 3 * x + 2 + rnorm(.N, sd = 0.5)]
fit <- train(y ~ x, data = dt, method = "lm",
             trControl = trainControl(method = "cv", number = 5))
cat("SLOPE", unname(coef(fit$finalModel)[["x"]]), "RSQ", fit$results$Rsquared, "\n")
